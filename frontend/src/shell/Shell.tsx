import { useMutation, useQueryClient } from "@tanstack/react-query";
import { NavLink, Outlet, useNavigate } from "react-router";
import { signOut } from "../api/auth";
import { useGraphQLQuery } from "../api/query";
import { useConfig } from "../config";
import { ViewerDocument } from "../gql/graphql";
import { routes } from "../routes";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { NotificationBanner } from "./NotificationBanner";
import { ViewerProvider } from "./viewer";

/** Settings > Organization, shown to admins only. */
const organizationNav = [
  [routes.orgMailboxes, "All mailboxes"],
  [routes.migration, "Migration"],
  [routes.microsoftTenant, "Microsoft tenant"],
  [routes.apiTokens, "API tokens"],
  [routes.auditLog, "Audit log"],
] as const;

export const viewerQueryKey = ["viewer"] as const;

/**
 * The signed-in layout: header with the user and "Sign out", the Settings
 * navigation, and the current page. Signed-out visitors are sent to the
 * sign-in page by the UNAUTHENTICATED handler in QueryProvider.
 */
export function Shell() {
  const config = useConfig();
  const viewer = useGraphQLQuery(viewerQueryKey, ViewerDocument, {});
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOutMutation = useMutation({
    mutationFn: () => signOut(config.csrfHeader),
    onSuccess: () => {
      queryClient.clear();
      void navigate(routes.signIn, { replace: true });
    },
  });

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar__brand">
          <NavLink to={routes.mailboxes} className="brand">
            <span className="brand__mark" aria-hidden="true" />
            Mailbridge
          </NavLink>
          {config.mode === "demo" && <span className="badge badge--demo">Demo</span>}
          {viewer.data && (
            <span className="topbar__org">{viewer.data.viewer.organization.name}</span>
          )}
        </div>
        {viewer.data && (
          <div className="topbar__user">
            <div className="user-chip">
              <span className="user-chip__name">
                {viewer.data.viewer.user.name}
                {viewer.data.viewer.isAdmin && <span className="badge badge--role">Admin</span>}
              </span>
              <span className="user-chip__email">{viewer.data.viewer.user.email}</span>
            </div>
            <button
              type="button"
              className="button button--ghost"
              onClick={() => signOutMutation.mutate()}
              disabled={signOutMutation.isPending}
            >
              {signOutMutation.isPending ? "Signing out…" : "Sign out"}
            </button>
          </div>
        )}
      </header>
      {signOutMutation.isError && (
        <div className="topbar-alert">
          <ErrorAlert title="You are still signed in." error={signOutMutation.error} />
        </div>
      )}
      <div className="layout">
        <nav className="sidebar" aria-labelledby="settings-nav-heading">
          <h2 id="settings-nav-heading" className="sidebar__title">
            Settings
          </h2>
          <h3 className="sidebar__section" id="nav-you">
            You
          </h3>
          <ul aria-labelledby="nav-you">
            <li>
              <NavLink to={routes.mailboxes} className="sidebar__link">
                Mailboxes
              </NavLink>
            </li>
          </ul>
          <h3 className="sidebar__section" id="nav-system-activity">
            System Activity
          </h3>
          <ul aria-labelledby="nav-system-activity">
            <li>
              <NavLink to={routes.sequenceStates} className="sidebar__link">
                Sequences States
              </NavLink>
            </li>
          </ul>
          {viewer.data?.viewer.isAdmin === true && (
            <>
              <h3 className="sidebar__section" id="nav-organization">
                Organization
              </h3>
              <ul aria-labelledby="nav-organization">
                {organizationNav.map(([to, label]) => (
                  <li key={to}>
                    <NavLink to={to} className="sidebar__link">
                      {label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </>
          )}
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {viewer.isPending && <Loading label="Loading your account…" />}
          {viewer.isError && !viewer.error.isUnauthenticated && (
            <ErrorAlert
              title="Your account could not be loaded."
              error={viewer.error}
              onRetry={() => void viewer.refetch()}
            />
          )}
          {viewer.data && (
            <ViewerProvider value={viewer.data.viewer}>
              <NotificationBanner notifications={viewer.data.viewer.notifications} queryKey={viewerQueryKey} />
              <Outlet />
            </ViewerProvider>
          )}
        </main>
      </div>
      <footer className="footer">
        Mailbridge{config.version !== "" && ` ${config.version}`}
      </footer>
    </div>
  );
}

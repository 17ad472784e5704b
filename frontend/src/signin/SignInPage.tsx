import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";
import { type DemoUser, demoSignIn, fetchDemoUsers, SIGN_IN_WITH_MICROSOFT_PATH } from "../api/auth";
import type { ApiError } from "../api/errors";
import { useConfig } from "../config";
import { safeNextPath } from "../routes";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";

const roleLabels: Record<DemoUser["role"], string> = { ADMIN: "Admin", USER: "User" };

export const demoUsersQueryKey = ["demoUsers"] as const;

function DemoSignIn() {
  const { csrfHeader } = useConfig();
  const [searchParams] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const users = useQuery<DemoUser[], ApiError>({
    queryKey: demoUsersQueryKey,
    queryFn: ({ signal }) => fetchDemoUsers(signal),
  });
  const signIn = useMutation<void, ApiError, DemoUser>({
    mutationFn: (user) => demoSignIn(csrfHeader, user.id),
    onSuccess: () => {
      // Nothing cached may leak from a previous session into this one.
      queryClient.clear();
      void navigate(safeNextPath(searchParams.get("next")), { replace: true });
    },
  });

  return (
    <>
      <p className="signin__lead">
        This is a demo of Mailbridge. Choose whom to sign in as: admins see the whole organization.
      </p>
      {users.isPending && <Loading label="Loading demo users…" />}
      {users.isError && (
        <ErrorAlert
          title="Demo users could not be loaded."
          error={users.error}
          onRetry={() => void users.refetch()}
        />
      )}
      {signIn.isError && (
        <ErrorAlert
          title={`Could not sign in as ${signIn.variables.name}.`}
          error={signIn.error}
        />
      )}
      {users.data && users.data.length === 0 && (
        <p className="empty">No demo users are set up on this server.</p>
      )}
      {users.data && users.data.length > 0 && (
        <ul className="demo-users" aria-label="Demo users">
          {users.data.map((user) => (
            <li key={user.id} className="demo-user">
              <div className="demo-user__who">
                <span className="demo-user__name">{user.name}</span>
                <span className="demo-user__email">{user.email}</span>
              </div>
              <span className={`badge badge--${user.role === "ADMIN" ? "role" : "muted"}`}>
                {roleLabels[user.role]}
              </span>
              <button
                type="button"
                className="button button--primary"
                disabled={signIn.isPending}
                onClick={() => signIn.mutate(user)}
              >
                Sign in as {user.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * The signed-out page. In demo mode it lists the demo users; otherwise it
 * sends the user to Microsoft through the server's /auth/microsoft/signin.
 */
export function SignInPage() {
  usePageTitle("Sign in");
  const config = useConfig();
  return (
    <main className="signin" id="main">
      <div className="signin__card">
        <p className="brand brand--large">
          <span className="brand__mark" aria-hidden="true" />
          Mailbridge
        </p>
        <PageHeading>Sign in</PageHeading>
        {config.demoSignIn ? (
          <DemoSignIn />
        ) : (
          <>
            <p className="signin__lead">
              Sign in with the Microsoft 365 account you use for work.
            </p>
            <a className="button button--primary button--block" href={SIGN_IN_WITH_MICROSOFT_PATH}>
              Sign in with Microsoft
            </a>
          </>
        )}
      </div>
      {config.version !== "" && <p className="signin__version">Mailbridge {config.version}</p>}
    </main>
  );
}

import { useSearchParams } from "react-router";
import { useGraphQLQuery } from "../api/query";
import { MailboxesDocument } from "../gql/graphql";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { AdminConsent, adminConsentMessage } from "./AdminConsent";
import { type Mailbox, MailboxRow } from "./MailboxRow";
import { connectOutcomeMessage, isConnectOutcome } from "./labels";

export const mailboxesQueryKey = ["mailboxes"] as const;

/** Settings > You > Mailboxes: the viewer's own mailboxes, default first. */
export function MailboxesPage() {
  usePageTitle("Mailboxes");
  const viewer = useViewer();
  const query = useGraphQLQuery(mailboxesQueryKey, MailboxesDocument, {});
  const mailboxes = query.data?.viewer.mailboxes;
  const [search, setSearch] = useSearchParams();

  return (
    <>
      <Breadcrumb trail={["Settings", "You", "Mailboxes"]} />
      <PageHeading>Mailboxes</PageHeading>
      <p className="page-intro">
        The addresses Mailbridge syncs and sends your sequence emails from. Connect a mailbox with
        Office 365 OAuth, then turn on Syncing and Sending for the one you use.
      </p>

      {adminConsentMessage(search.get("adminConsent"), search.get("code")) !== null && (
        <div
          role="status"
          className={search.get("adminConsent") === "granted" ? "alert alert--success" : "alert alert--warning"}
          data-testid="admin-consent-outcome"
        >
          <p>{adminConsentMessage(search.get("adminConsent"), search.get("code"))}</p>
        </div>
      )}
      {mailboxes !== undefined && (
        <ConnectOutcomeBanner
          search={search}
          mailboxes={mailboxes}
          onDismiss={() => setSearch({}, { replace: true })}
        />
      )}
      {query.isPending && <Loading label="Loading mailboxes…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert
          title="Mailboxes could not be loaded."
          error={query.error}
          onRetry={() => void query.refetch()}
        />
      )}
      {mailboxes !== undefined && mailboxes.length === 0 && (
        <div className="empty">
          <p className="empty__title">No mailboxes yet</p>
          <p>
            Mailboxes for your email addresses appear here once your organization adds them. Ask
            your admin if you expected one.
          </p>
        </div>
      )}
      {mailboxes !== undefined && mailboxes.length > 0 && (
        <ul className="mailbox-list" aria-label="Mailboxes" aria-busy={query.isFetching}>
          {mailboxes.map((mailbox) => (
            <MailboxRow
              key={mailbox.id}
              mailbox={mailbox}
              timeZone={viewer.user.timeZone}
              addin={{
                version: query.data?.viewer.user.outlookAddinVersion ?? null,
                minVersion: query.data?.viewer.outlookAddinMinVersion ?? null,
              }}
            />
          ))}
        </ul>
      )}
      {viewer.isAdmin && <AdminConsent />}
    </>
  );
}

/**
 * Says how "Connect with Office 365" ended when the browser comes back from
 * Microsoft (?connect=<outcome>&mailbox=<id>).
 */
function ConnectOutcomeBanner({
  search,
  mailboxes,
  onDismiss,
}: {
  search: URLSearchParams;
  mailboxes: readonly Mailbox[];
  onDismiss: () => void;
}) {
  const outcome = search.get("connect");
  if (!isConnectOutcome(outcome)) {
    return null;
  }
  const mailbox = mailboxes.find((m) => m.id === search.get("mailbox"));
  const message = connectOutcomeMessage(outcome, mailbox?.address ?? "The mailbox", {
    signedInAs: search.get("signedInAs"),
    reason: mailbox?.connectionError ?? null,
  });
  const isGood = outcome === "connected";
  return (
    <div
      role={isGood ? "status" : "alert"}
      className={isGood ? "alert alert--success" : "alert alert--warning"}
      data-testid="connect-outcome"
    >
      <p>{message}</p>
      <button type="button" className="button button--secondary" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

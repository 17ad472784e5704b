import { useGraphQLQuery } from "../api/query";
import { MailboxesDocument } from "../gql/graphql";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { MailboxRow } from "./MailboxRow";

export const mailboxesQueryKey = ["mailboxes"] as const;

/** Settings > You > Mailboxes: the viewer's own mailboxes, default first. */
export function MailboxesPage() {
  usePageTitle("Mailboxes");
  const viewer = useViewer();
  const query = useGraphQLQuery(mailboxesQueryKey, MailboxesDocument, {});
  const mailboxes = query.data?.viewer.mailboxes;

  return (
    <>
      <Breadcrumb trail={["Settings", "You", "Mailboxes"]} />
      <PageHeading>Mailboxes</PageHeading>
      <p className="page-intro">
        The addresses Mailbridge syncs and sends your sequence emails from. Connect a mailbox with
        Office 365 OAuth, then turn on Syncing and Sending for the one you use.
      </p>

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
            <MailboxRow key={mailbox.id} mailbox={mailbox} timeZone={viewer.user.timeZone} />
          ))}
        </ul>
      )}
    </>
  );
}

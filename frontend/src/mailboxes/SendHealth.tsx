import { formatDateTime } from "../format";
import type { MailboxSendStatus, SendHealthFragment } from "../gql/graphql";

const statusLabels: Record<MailboxSendStatus, string> = {
  SENDING: "Sending",
  HELD: "Held",
  THROTTLED: "Paused by Microsoft 365",
};

interface SendHealthProps {
  mailbox: SendHealthFragment;
  /** The viewer's IANA time zone, for timestamps. */
  timeZone: string;
}

/**
 * A mailbox's delivery health on Settings > You > Mailboxes: whether its
 * scheduled emails go out, why they are held or paused, the last send and
 * the last sending problem. Two facts of the mailbox's <dl>.
 */
export function SendHealth({ mailbox, timeZone }: SendHealthProps) {
  const { sendStatus, sendStatusReason, throttledUntil, lastSentAt, lastSendError } = mailbox;
  return (
    <>
      <div>
        <dt>Delivery</dt>
        <dd>
          <span className={`status status--send-${sendStatus.toLowerCase()}`}>{statusLabels[sendStatus]}</span>
          {sendStatus === "THROTTLED" && throttledUntil !== null && (
            <>
              {" until "}
              <time dateTime={throttledUntil}>{formatDateTime(throttledUntil, timeZone)}</time>
            </>
          )}
          {sendStatusReason !== null && <span className="status-reason">{sendStatusReason}</span>}
          {lastSendError !== null && lastSendError !== sendStatusReason && (
            <span className="status-reason">Last sending problem: {lastSendError}</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Last sent</dt>
        <dd>
          {lastSentAt === null ? (
            "Never"
          ) : (
            <time dateTime={lastSentAt}>{formatDateTime(lastSentAt, timeZone)}</time>
          )}
        </dd>
      </div>
    </>
  );
}

import { formatDateTime } from "../format";
import type { SyncHealthFieldsFragment } from "../gql/graphql";
import { syncStageLabels } from "./labels";

interface SyncHealthProps {
  mailbox: SyncHealthFieldsFragment;
  /** The viewer's IANA time zone, for timestamps. */
  timeZone: string;
  /** Now, for deciding whether a throttle is still on (tests pass it). */
  now?: Date;
}

/**
 * The sync health of one mailbox on Settings > You > Mailboxes, as a
 * term of the mailbox's description list: the stage, the first import's
 * progress, and when Microsoft lets sync go on after throttling it.
 */
export function SyncHealth({ mailbox, timeZone, now = new Date() }: SyncHealthProps) {
  const stage = mailbox.syncEnabled || mailbox.syncStage !== "PAUSED" ? mailbox.syncStage : "PAUSED";
  const done = mailbox.syncProgressDone;
  const total = mailbox.syncProgressTotal;
  const throttled = mailbox.throttledUntil !== null && new Date(mailbox.throttledUntil) > now;
  return (
    <div>
      <dt>Sync status</dt>
      <dd>
        <span className={`sync-stage sync-stage--${stage.toLowerCase()}`}>{syncStageLabels[stage]}</span>
        {stage === "PAUSED" && " (Syncing is off)"}
        {stage === "INITIAL_SYNC" && (
          <>
            {": "}
            {total !== null && total > 0
              ? `${Math.min(done, total).toLocaleString()} of ${total.toLocaleString()} messages checked`
              : `${done.toLocaleString()} messages checked`}
            {total !== null && total > 0 && (
              <progress
                className="sync-progress"
                max={total}
                value={Math.min(done, total)}
                aria-label="Mail import progress"
              />
            )}
          </>
        )}
        {throttled && mailbox.throttledUntil !== null && (
          <>
            {" — "}Microsoft asked Mailbridge to slow down; syncing resumes at{" "}
            <time dateTime={mailbox.throttledUntil}>{formatDateTime(mailbox.throttledUntil, timeZone)}</time>
          </>
        )}
      </dd>
    </div>
  );
}

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { executeGraphQL } from "../api/graphql";
import { useConfig } from "../config";
import { countNoun, formatDateTime } from "../format";
import { MakeDefaultDocument, type MailboxesQuery } from "../gql/graphql";
import { ErrorAlert } from "../ui/ErrorAlert";
import { type AddinVersions, MailboxSetupPanel } from "./MailboxSetupPanel";
import { SendHealth } from "./SendHealth";
import {
  connectionStateHints,
  connectionStateLabels,
  migrationWarning,
  noProviderLabel,
  providerLabels,
} from "./labels";
import { SyncHealth } from "./SyncHealth";

export type Mailbox = MailboxesQuery["viewer"]["mailboxes"][number];

interface MailboxRowProps {
  mailbox: Mailbox;
  /** The viewer's IANA time zone, for timestamps. */
  timeZone: string;
  /** The viewer's reported Outlook add-in version and the minimum. */
  addin?: AddinVersions | undefined;
}

function OnOff({ on }: { on: boolean }) {
  return <span className={on ? "state state--on" : "state state--off"}>{on ? "On" : "Off"}</span>;
}

/**
 * One mailbox of Settings > You > Mailboxes: its address, whether it is the
 * default, provider, connection status, Syncing / Sending, held emails of
 * legacy EWS mailboxes, and "Edit" or "Set up account".
 */
export function MailboxRow({ mailbox, timeZone, addin }: MailboxRowProps) {
  const headingID = useId();
  const panelID = useId();
  const [isPanelOpen, setPanelOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);

  const hasProvider = mailbox.provider !== null;
  const actionLabel = hasProvider ? "Edit" : "Set up account";
  const state = mailbox.connectionState;
  const hint = connectionStateHints[state];

  const { graphqlPath, csrfHeader } = useConfig();
  const queryClient = useQueryClient();
  const makeDefault = useMutation({
    mutationFn: () =>
      executeGraphQL({ path: graphqlPath, csrfHeader }, MakeDefaultDocument, { input: { mailboxID: mailbox.id } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["mailboxes"] }),
  });

  const closePanel = () => {
    setPanelOpen(false);
    buttonRef.current?.focus();
  };

  return (
    <li className="mailbox">
      <article aria-labelledby={headingID}>
        <div className="mailbox__header">
          <h2 className="mailbox__address" id={headingID}>
            {mailbox.address}
            {mailbox.isDefault && <span className="badge badge--default">Default</span>}
          </h2>
          <button
            ref={buttonRef}
            type="button"
            className="button button--secondary"
            aria-expanded={isPanelOpen}
            aria-controls={panelID}
            aria-describedby={headingID}
            onClick={() => (isPanelOpen ? closePanel() : setPanelOpen(true))}
          >
            {actionLabel}
          </button>
          {!mailbox.isDefault && (
            <button
              type="button"
              className="button button--secondary"
              aria-describedby={headingID}
              disabled={makeDefault.isPending}
              onClick={() => makeDefault.mutate()}
            >
              Make default
            </button>
          )}
        </div>
        {makeDefault.isError && (
          <ErrorAlert title="The default mailbox was not changed." error={makeDefault.error} />
        )}

        <dl className="mailbox__facts">
          <div>
            <dt>Status</dt>
            <dd>
              <span className={`status status--${state.toLowerCase().replaceAll("_", "-")}`}>
                {connectionStateLabels[state]}
              </span>
              {state === "ERROR" && (
                <span className="status-reason">
                  {mailbox.connectionError ?? "Mailbridge recorded no reason."}
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Provider</dt>
            <dd>{mailbox.provider === null ? noProviderLabel : providerLabels[mailbox.provider]}</dd>
          </div>
          <div>
            <dt>Syncing</dt>
            <dd>
              <OnOff on={mailbox.syncEnabled} />
            </dd>
          </div>
          <div>
            <dt>Sending</dt>
            <dd>
              <OnOff on={mailbox.sendEnabled} />
            </dd>
          </div>
          <SendHealth mailbox={mailbox} timeZone={timeZone} />
          <div>
            <dt>Last synced</dt>
            <dd>
              {mailbox.lastSyncedAt === null ? (
                "Never"
              ) : (
                <time dateTime={mailbox.lastSyncedAt}>
                  {formatDateTime(mailbox.lastSyncedAt, timeZone)}
                </time>
              )}
            </dd>
          </div>
          <SyncHealth mailbox={mailbox} timeZone={timeZone} />
          <div>
            <dt>Scheduled emails</dt>
            <dd>
              {mailbox.undeliveredEmailCount === 0
                ? "None waiting to send"
                : `${mailbox.undeliveredEmailCount.toLocaleString()} waiting to send`}
            </dd>
          </div>
        </dl>

        {hint !== undefined && (
          <p className="mailbox__hint">
            {hint}
            {state === "NEEDS_RECONNECT" && mailbox.connectionError !== null && (
              <> Microsoft said: {mailbox.connectionError}</>
            )}
          </p>
        )}

        {mailbox.lastSyncError !== null && (
          <p className="mailbox__sync-error">
            <strong>Last sync failed:</strong> {mailbox.lastSyncError}
          </p>
        )}

        {mailbox.needsMigration && (
          <div className="callout callout--warning">
            <p className="callout__title">{migrationWarning}</p>
            <p>
              {mailbox.undeliveredEmailCount === 0
                ? "No scheduled emails are waiting on this mailbox."
                : `${countNoun(mailbox.undeliveredEmailCount, "scheduled email")} ${
                    mailbox.undeliveredEmailCount === 1 ? "is" : "are"
                  } held, not sent and not dropped, until this mailbox is connected with Office 365 OAuth or its emails are assigned to another mailbox.`}
            </p>
          </div>
        )}

        {isPanelOpen && (
          <MailboxSetupPanel
            id={panelID}
            mailbox={mailbox}
            title={`${actionLabel}: ${mailbox.address}`}
            onClose={closePanel}
            timeZone={timeZone}
            addin={addin}
          />
        )}
      </article>
    </li>
  );
}

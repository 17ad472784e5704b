import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { executeGraphQL } from "../api/graphql";
import { useConfig } from "../config";
import {
  ConnectOffice365Document,
  DisconnectOffice365Document,
  type MailboxProvider,
  SetSendDocument,
  SetSyncDocument,
} from "../gql/graphql";
import { ErrorAlert } from "../ui/ErrorAlert";
import type { Mailbox } from "./MailboxRow";
import { connectionStateLabels, ewsBlockedReason, providerOptionLabels } from "./labels";
import { isAddinBelowMinimum, localTime } from "./migrationNotes";

interface MailboxSetupPanelProps {
  id: string;
  mailbox: Mailbox;
  title: string;
  onClose: () => void;
  /** Where the browser goes to sign in to Microsoft (a full-page redirect). */
  navigate?: (url: string) => void;
  /** The viewer's IANA time zone, for the work-hours note. */
  timeZone?: string;
  /** The viewer's reported Outlook add-in version and the minimum. */
  addin?: AddinVersions | undefined;
  /** The clock (tests set it). */
  now?: () => Date;
}

/** The Outlook add-in version the viewer's add-in last reported, and the organization's minimum. */
export interface AddinVersions {
  version: string | null;
  minVersion: string | null;
}

function assignLocation(url: string) {
  window.location.assign(url);
}

/**
 * "Edit" / "Set up account": the mailbox's settings as the help article
 * describes them — the Email Provider drop-down, Connect with Office 365
 * (Reconnect when Microsoft revoked access), the connection status, and
 * the Syncing and Sending toggles with Save.
 */
export function MailboxSetupPanel({
  id,
  mailbox,
  title,
  onClose,
  navigate = assignLocation,
  timeZone = "UTC",
  addin,
  now = () => new Date(),
}: MailboxSetupPanelProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  const { graphqlPath, csrfHeader } = useConfig();
  const endpoint = { path: graphqlPath, csrfHeader };
  const queryClient = useQueryClient();
  const providerID = useId();
  const providerNoteID = useId();

  const [provider, setProvider] = useState<MailboxProvider>("OFFICE365_OAUTH");
  const [sync, setSync] = useState(mailbox.syncEnabled);
  const [send, setSend] = useState(mailbox.sendEnabled);
  const [saved, setSaved] = useState(false);

  const connect = useMutation({
    mutationFn: () =>
      executeGraphQL(endpoint, ConnectOffice365Document, { input: { mailboxID: mailbox.id } }),
    onSuccess: (data) => navigate(data.connectOffice365.authorizationURL),
  });

  const disconnect = useMutation({
    mutationFn: () =>
      executeGraphQL(endpoint, DisconnectOffice365Document, { input: { mailboxID: mailbox.id } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["mailboxes"] }),
  });

  const save = useMutation({
    mutationFn: async () => {
      if (sync !== mailbox.syncEnabled) {
        await executeGraphQL(endpoint, SetSyncDocument, {
          input: { mailboxID: mailbox.id, enabled: sync },
        });
      }
      if (send !== mailbox.sendEnabled) {
        await executeGraphQL(endpoint, SetSendDocument, {
          input: { mailboxID: mailbox.id, enabled: send },
        });
      }
    },
    onSuccess: () => setSaved(true),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["mailboxes"] }),
  });

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      onClose();
    }
  };

  const onSave = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    save.mutate();
  };

  const state = mailbox.connectionState;
  const isConnected = state === "CONNECTED";
  const isGraph = mailbox.provider === "OFFICE365_OAUTH";
  const connectLabel =
    state === "NEEDS_RECONNECT" || (isConnected && isGraph) ? "Reconnect" : "Connect with Office 365";
  const isChanged = sync !== mailbox.syncEnabled || send !== mailbox.sendEnabled;
  const headingID = `${id}-heading`;
  const local = localTime(now(), timeZone);
  const addinOutdated = isAddinBelowMinimum(addin?.version ?? null, addin?.minVersion ?? null);

  return (
    <section id={id} className="panel" aria-labelledby={headingID} onKeyDown={onKeyDown}>
      <h3 id={headingID} ref={headingRef} tabIndex={-1} className="panel__title">
        {title}
      </h3>

      <p className="panel__status">
        Status: <strong>{connectionStateLabels[state]}</strong>
        {(state === "ERROR" || state === "NEEDS_RECONNECT" || state === "PENDING_ADMIN_APPROVAL") &&
          mailbox.connectionError !== null && <> — {mailbox.connectionError}</>}
      </p>

      <div className="field">
        <label htmlFor={providerID}>Email Provider</label>
        <select
          id={providerID}
          value={provider}
          aria-describedby={providerNoteID}
          onChange={(event) => setProvider(event.target.value === "EXCHANGE_EWS" ? "EXCHANGE_EWS" : "OFFICE365_OAUTH")}
        >
          <option value="OFFICE365_OAUTH">{providerOptionLabels.OFFICE365_OAUTH}</option>
          <option value="EXCHANGE_EWS" disabled>
            {providerOptionLabels.EXCHANGE_EWS}
          </option>
        </select>
        <p id={providerNoteID} className="field__note">
          {ewsBlockedReason}
        </p>
      </div>

      {provider === "OFFICE365_OAUTH" && (
        <div className="panel__connect">
          <p>
            Sign in to Microsoft as {mailbox.address}. Depending on your organization's settings,
            click <strong>Accept</strong> to give consent, or <strong>Request approval</strong> if an
            administrator must approve Mailbridge.
          </p>
          {mailbox.provider === "EXCHANGE_EWS" && (
            <div className="panel__note" role="note" aria-label="Migrating to Microsoft Graph">
              <p>
                We recommend migrating to Microsoft Graph before or after work hours. This mailbox
                keeps its settings and scheduled emails.
                {!addinOutdated && (
                  <>
                    {" "}
                    If you use the Outlook add-in, upgrade it to
                    {addin?.minVersion ? ` version ${addin.minVersion} or later` : " its latest version"} first.
                  </>
                )}
              </p>
              <p data-testid="work-hours-note">
                Your local time is {local.label} ({timeZone}).{" "}
                {local.duringWorkHours
                  ? "That is within work hours (9:00–17:00, Monday to Friday): consider waiting until after work."
                  : "That is outside work hours: a good time to migrate."}
              </p>
            </div>
          )}
          {addinOutdated && (
            <p className="alert alert--warning" role="note" aria-label="Outlook add-in" data-testid="addin-warning">
              Your Outlook add-in is version {addin?.version}; mailboxes on Microsoft Graph need version{" "}
              {addin?.minVersion} or later. Upgrade the add-in before connecting, or it stops working
              for this mailbox. You can still connect now.
            </p>
          )}
          <button
            type="button"
            className="button button--primary"
            disabled={connect.isPending}
            onClick={() => connect.mutate()}
          >
            {connect.isPending ? "Opening Microsoft sign-in…" : connectLabel}
          </button>
          {isGraph && mailbox.connectionState !== "NOT_CONNECTED" && (
            <button
              type="button"
              className="button button--secondary"
              disabled={disconnect.isPending}
              onClick={() => disconnect.mutate()}
            >
              Disconnect
            </button>
          )}
          {disconnect.isSuccess && (
            <p role="status">
              {mailbox.address} is disconnected. Its scheduled emails are held until you connect it
              again or assign them to another mailbox.
            </p>
          )}
          {disconnect.isError && (
            <ErrorAlert title="The mailbox was not disconnected." error={disconnect.error} />
          )}
          {connect.isError && (
            <ErrorAlert title="Mailbridge could not start the Microsoft sign-in." error={connect.error} />
          )}
        </div>
      )}

      <form className="panel__toggles" onSubmit={onSave}>
        <label className="toggle">
          <input
            type="checkbox"
            role="switch"
            checked={sync}
            disabled={!isConnected && !sync}
            onChange={(event) => {
              setSync(event.target.checked);
              setSaved(false);
            }}
          />{" "}
          Syncing
        </label>
        <label className="toggle">
          <input
            type="checkbox"
            role="switch"
            checked={send}
            disabled={!isConnected && !send}
            onChange={(event) => {
              setSend(event.target.checked);
              setSaved(false);
            }}
          />{" "}
          Sending
        </label>
        {!isConnected && (
          <p className="field__note">Connect the mailbox to turn on Syncing and Sending.</p>
        )}
        <div className="panel__actions">
          <button type="submit" className="button button--primary" disabled={!isChanged || save.isPending}>
            {save.isPending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Close
          </button>
        </div>
        {saved && (
          <p role="status" className="panel__saved">
            Mailbox settings saved.
          </p>
        )}
        {save.isError && <ErrorAlert title="The mailbox settings were not saved." error={save.error} />}
      </form>
    </section>
  );
}

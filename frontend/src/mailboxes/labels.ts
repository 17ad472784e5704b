import type { MailboxConnectionState, MailboxProvider, MailboxSyncStage } from "../gql/graphql";

/** Connection states in the help article's words. */
export const connectionStateLabels: Record<MailboxConnectionState, string> = {
  NOT_CONNECTED: "Not connected",
  CONNECTED: "Connected",
  PENDING_ADMIN_APPROVAL: "Pending admin approval",
  NEEDS_RECONNECT: "Needs reconnect",
  ERROR: "Error",
};

/** What the user can do about a state that needs action. */
export const connectionStateHints: Partial<Record<MailboxConnectionState, string>> = {
  PENDING_ADMIN_APPROVAL:
    "Waiting for an administrator of your Microsoft organization to approve Mailbridge.",
  NEEDS_RECONNECT:
    "Microsoft revoked or expired Mailbridge's access. Connect with Office 365 again to resume syncing and sending.",
};

export const providerLabels: Record<MailboxProvider, string> = {
  OFFICE365_OAUTH: "Office 365 OAuth",
  EXCHANGE_EWS: "Exchange (EWS) — legacy",
};

export const noProviderLabel = "Not set up";

export const migrationWarning =
  "Migrate to Office 365 OAuth: Exchange Online no longer accepts EWS";

/** The Email Provider drop-down's entries. */
export const providerOptionLabels: Record<MailboxProvider, string> = {
  OFFICE365_OAUTH: "Office 365 OAuth (recommended)",
  EXCHANGE_EWS: "Exchange (EWS) — blocked by Microsoft",
};

export const ewsBlockedReason =
  "Microsoft is turning off Exchange Web Services (EWS) in Exchange Online from October 2026, so new EWS connections cannot be set up. Use Office 365 OAuth, which connects through Microsoft Graph.";

/** What happened when the browser came back from Microsoft (?connect=…). */
export type ConnectOutcome = "connected" | "declined" | "pending" | "error" | "mismatch" | "taken";

export function isConnectOutcome(value: string | null): value is ConnectOutcome {
  return (
    value === "connected" ||
    value === "declined" ||
    value === "pending" ||
    value === "error" ||
    value === "mismatch" ||
    value === "taken"
  );
}

/** The outcome in words, for the mailbox at `address`. */
export function connectOutcomeMessage(
  outcome: ConnectOutcome,
  address: string,
  detail: { signedInAs?: string | null; reason?: string | null },
): string {
  switch (outcome) {
    case "connected":
      return `${address} is Connected. Enable Syncing and Sending with their toggles, then save the mailbox settings.`;
    case "declined":
      return `You declined the permissions Mailbridge needs, so ${address} is Not connected. To connect it, click Connect with Office 365 again and click Accept.`;
    case "pending":
      return `${address} is Pending admin approval: an administrator of your Microsoft organization must approve Mailbridge. If you clicked Request approval, they have been asked. Once they approve, click Connect with Office 365 again.`;
    case "error":
      return `Mailbridge could not connect ${address}: ${detail.reason ?? "Microsoft refused the sign-in."}`;
    case "mismatch":
      return `You signed in as ${detail.signedInAs ?? "another account"}, which does not own ${address}. Nothing was changed. Click Connect with Office 365 again and sign in with the Microsoft account of ${address}.`;
    case "taken":
      return `The Microsoft account you signed in with is already connected by another Mailbridge user. Nothing was changed on ${address}.`;
  }
}

/** Sync stages, as Settings > You > Mailboxes and the admins' views show them. */
export const syncStageLabels: Record<MailboxSyncStage, string> = {
  IDLE: "Not synced yet",
  INITIAL_SYNC: "Importing mail",
  INCREMENTAL: "Active",
  PAUSED: "Paused",
  FAILED: "Failed",
};

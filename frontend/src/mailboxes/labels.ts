import type { MailboxConnectionState, MailboxProvider } from "../gql/graphql";

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

import type { MigrationStep } from "../gql/graphql";

/** A user's next step, in the help article's order and words. */
export const stepLabels: Record<MigrationStep, string> = {
  CONNECT_GRAPH_MAILBOX: "Connect with Office 365",
  ENABLE_GRAPH_MAILBOX: "Enable Syncing and Sending",
  DISABLE_OLD_MAILBOX: "Disable Sync and Send on the old mailbox",
  MAKE_NEW_DEFAULT: "Make the new mailbox the default",
  ASSIGN_SEQUENCE_STATES: "Assign the sequence states",
  DONE: "Done",
};

/** Who takes the step: only the user can connect their own mailbox. */
export const stepActors: Record<MigrationStep, string> = {
  CONNECT_GRAPH_MAILBOX: "The user",
  ENABLE_GRAPH_MAILBOX: "The user",
  DISABLE_OLD_MAILBOX: "The user",
  MAKE_NEW_DEFAULT: "The user",
  ASSIGN_SEQUENCE_STATES: "An admin or the user",
  DONE: "",
};

export const migrationSteps: readonly MigrationStep[] = [
  "CONNECT_GRAPH_MAILBOX",
  "ENABLE_GRAPH_MAILBOX",
  "DISABLE_OLD_MAILBOX",
  "MAKE_NEW_DEFAULT",
  "ASSIGN_SEQUENCE_STATES",
  "DONE",
];


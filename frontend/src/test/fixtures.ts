import type { MailboxesQuery, SequenceStatesQuery, ViewerQuery } from "../gql/graphql";

export const viewerData: ViewerQuery = {
  viewer: {
    isAdmin: true,
    user: { id: "usr_ada", name: "Ada Admin", email: "ada@acme.com", timeZone: "Europe/Berlin" },
    organization: { id: "org_acme", name: "Acme Corp" },
    notifications: [],
  },
};

export const mailboxesData: MailboxesQuery = {
  viewer: {
    outlookAddinMinVersion: null,
    user: { id: "usr_ada", outlookAddinVersion: null },
    mailboxes: [
      {
        id: "mbx_1",
        address: "ada@acme.com",
        provider: "EXCHANGE_EWS",
        connectionState: "CONNECTED",
        connectionError: null,
        syncEnabled: true,
        sendEnabled: true,
        isDefault: true,
        needsMigration: true,
        undeliveredEmailCount: 12,
        lastSyncedAt: "2026-03-02T14:05:00Z",
        lastSyncError: null,
        syncStage: "INCREMENTAL",
        syncProgressDone: 0,
        syncProgressTotal: null,
        sendStatus: "HELD",
        sendStatusReason:
          "Held: this mailbox uses Exchange Web Services, which Exchange Online no longer accepts. Switch it to Office 365 (OAuth) to send.",
        lastSentAt: "2026-03-02T14:00:00Z",
        lastSendError: null,
        throttledUntil: null,
      },
      {
        id: "mbx_2",
        address: "ada.work@acme.com",
        provider: null,
        connectionState: "NOT_CONNECTED",
        connectionError: null,
        syncEnabled: false,
        sendEnabled: false,
        isDefault: false,
        needsMigration: false,
        undeliveredEmailCount: 0,
        lastSyncedAt: null,
        lastSyncError: null,
        syncStage: "INCREMENTAL",
        syncProgressDone: 0,
        syncProgressTotal: null,
        sendStatus: "HELD",
        sendStatusReason: "Held: this mailbox is not set up. Click Set up account to connect it.",
        lastSentAt: null,
        lastSendError: null,
        throttledUntil: null,
      },
    ],
  },
};

/** A page of `count` sequence states starting at number `from`. */
export function sequenceStatesPage(
  from: number,
  count: number,
  { totalCount, hasNextPage }: { totalCount: number; hasNextPage: boolean },
): SequenceStatesQuery {
  return {
    sequenceStates: {
      totalCount,
      pageInfo: { hasNextPage, endCursor: `cursor-${from + count - 1}` },
      edges: Array.from({ length: count }, (_, i) => {
        const n = from + i;
        return {
          node: {
            id: `ss_${n}`,
            state: n % 2 === 0 ? "ACTIVE" : "FINISHED",
            stateReason: n % 2 === 0 ? null : "Replied",
            currentStep: 2,
            updatedAt: "2026-03-02T14:05:00Z",
            prospect: { email: `prospect${n}@example.com`, firstName: "Pat", lastName: `Number${n}` },
            sequence: { name: "Q2 outreach" },
            mailbox: { address: "ada@acme.com" },
            user: { name: "Ada Admin" },
          },
        };
      }),
    },
  };
}

/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AssignMailboxInput = {
  /** Preview: count what would change, change nothing. */
  dryRun?: boolean | null | undefined;
  /**
   * Every sequence state matching this filter (the list's filter: what
   * "select all N matching" selects), as of the request.
   */
  filter?: SequenceStateFilterInput | null | undefined;
  /** The mailbox to assign to (the dialog's From). */
  mailboxID: string | number;
  /** These sequence states (at most 10,000). Pass either stateIDs or filter. */
  stateIDs?: Array<string | number> | null | undefined;
  /**
   * Update existing undelivered emails? Yes: the states' DRAFTED and SCHEDULED
   * emails move to the mailbox too. No: only future emails use it.
   */
  updateUndeliveredEmails: boolean;
};

export type AssignmentSkipReason =
  /** The sequence state already uses the mailbox. */
  | 'ALREADY_ASSIGNED'
  /** The sequence state is finished or failed: it sends nothing more. */
  | 'FINISHED'
  /**
   * The sequence state belongs to another user than the mailbox's owner, which
   * the organization does not allow (its owner changed while a background
   * assignment ran).
   */
  | 'OTHER_OWNER';

/** AssignmentStatus is enum for the field status */
export type AssignmentStatus =
  | 'FAILED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type ConnectOffice365Input = {
  mailboxID: string | number;
};

export type DisconnectOffice365Input = {
  mailboxID: string | number;
};

/** MailboxConnectionState is enum for the field connection_state */
export type MailboxConnectionState =
  | 'CONNECTED'
  | 'ERROR'
  | 'NEEDS_RECONNECT'
  | 'NOT_CONNECTED'
  | 'PENDING_ADMIN_APPROVAL';

/** MailboxProvider is enum for the field provider */
export type MailboxProvider =
  | 'EXCHANGE_EWS'
  | 'OFFICE365_OAUTH';

/** What a mailbox's sending is doing, as shown on Settings › You › Mailboxes. */
export type MailboxSendStatus =
  /**
   * Scheduled emails wait and are never failed: Sending is off, the mailbox is
   * not connected, needs reconnecting, waits for admin approval or still uses
   * Exchange Web Services. They go out once the mailbox is fixed or they are
   * assigned to another mailbox. `sendStatusReason` says which.
   */
  | 'HELD'
  /** Due scheduled emails go out, at most 30 a minute per Microsoft 365 mailbox and within the daily limits. */
  | 'SENDING'
  /**
   * Microsoft 365 asked Mailbridge to wait, or blocked the mailbox from
   * sending for a while; sending resumes on its own after `throttledUntil`.
   */
  | 'THROTTLED';

/** Narrows the sequence-state list. All given conditions must hold. */
export type SequenceStateFilterInput = {
  /** Only states that still have scheduled, undelivered emails. */
  hasUndeliveredEmails?: boolean | null | undefined;
  mailboxID?: string | number | null | undefined;
  /** Case-insensitive substring of the prospect's email address. */
  prospectEmailContains?: string | null | undefined;
  sequenceID?: string | number | null | undefined;
  states?: Array<SequenceStateState> | null | undefined;
  userID?: string | number | null | undefined;
};

/** SequenceStateState is enum for the field state */
export type SequenceStateState =
  | 'ACTIVE'
  | 'FAILED'
  | 'FINISHED'
  | 'PAUSED';

export type SetSendInput = {
  enabled: boolean;
  mailboxID: string | number;
};

export type SetSyncInput = {
  enabled: boolean;
  mailboxID: string | number;
};

export type ConnectOffice365MutationVariables = Exact<{
  input: ConnectOffice365Input;
}>;


export type ConnectOffice365Mutation = { connectOffice365: { authorizationURL: string } };

export type SetSyncMutationVariables = Exact<{
  input: SetSyncInput;
}>;


export type SetSyncMutation = { setSync: { mailbox: { id: string, syncEnabled: boolean } } };

export type SetSendMutationVariables = Exact<{
  input: SetSendInput;
}>;


export type SetSendMutation = { setSend: { mailbox: { id: string, sendEnabled: boolean } } };

export type DisconnectOffice365MutationVariables = Exact<{
  input: DisconnectOffice365Input;
}>;


export type DisconnectOffice365Mutation = { disconnectOffice365: { mailbox: { id: string, connectionState: MailboxConnectionState } } };

export type AdminConsentOffice365MutationVariables = Exact<{ [key: string]: never; }>;


export type AdminConsentOffice365Mutation = { adminConsentOffice365: { adminConsentURL: string } };

export type MailboxesQueryVariables = Exact<{ [key: string]: never; }>;


export type MailboxesQuery = { viewer: { outlookAddinMinVersion: string | null, user: { id: string, outlookAddinVersion: string | null }, mailboxes: Array<{ id: string, address: string, provider: MailboxProvider | null, connectionState: MailboxConnectionState, connectionError: string | null, syncEnabled: boolean, sendEnabled: boolean, isDefault: boolean, needsMigration: boolean, undeliveredEmailCount: number, lastSyncedAt: string | null, lastSyncError: string | null, sendStatus: MailboxSendStatus, sendStatusReason: string | null, lastSentAt: string | null, lastSendError: string | null, throttledUntil: string | null }> } };

export type SendHealthFragment = { sendStatus: MailboxSendStatus, sendStatusReason: string | null, lastSentAt: string | null, lastSendError: string | null, throttledUntil: string | null };

export type AssignableMailboxesQueryVariables = Exact<{ [key: string]: never; }>;


export type AssignableMailboxesQuery = { assignableMailboxes: Array<{ eligible: boolean, reason: string | null, mailbox: { id: string, address: string, provider: MailboxProvider | null, connectionState: MailboxConnectionState, user: { id: string, name: string } } }> };

export type AssignMailboxMutationVariables = Exact<{
  input: AssignMailboxInput;
}>;


export type AssignMailboxMutation = { assignMailbox: { dryRun: boolean, background: boolean, statesSelected: number, statesAssigned: number, emailsMoved: number, emailsDelivering: number, skipped: Array<{ reason: AssignmentSkipReason, count: number }>, assignment: { id: string, status: AssignmentStatus, total: number, done: number } | null } };

export type AssignmentProgressQueryVariables = Exact<{
  id: string | number;
}>;


export type AssignmentProgressQuery = { assignment: { id: string, status: AssignmentStatus, total: number, done: number, statesAssigned: number, emailsMoved: number, emailsDelivering: number, error: string | null, skipped: Array<{ reason: AssignmentSkipReason, count: number }> } | null };

export type SequenceStatesQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  filter?: SequenceStateFilterInput | null | undefined;
}>;


export type SequenceStatesQuery = { sequenceStates: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, state: SequenceStateState, stateReason: string | null, currentStep: number, updatedAt: string, prospect: { email: string, firstName: string | null, lastName: string | null }, sequence: { name: string }, mailbox: { address: string }, user: { name: string } } | null } | null> | null } };

export type SequenceStateOwnersQueryVariables = Exact<{ [key: string]: never; }>;


export type SequenceStateOwnersQuery = { users: { edges: Array<{ node: { id: string, name: string } | null } | null> | null } };

export type SequenceStateSequencesQueryVariables = Exact<{ [key: string]: never; }>;


export type SequenceStateSequencesQuery = { sequences: Array<{ id: string, name: string }> };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { isAdmin: boolean, user: { id: string, name: string, email: string, timeZone: string }, organization: { id: string, name: string } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const SendHealthFragmentDoc = new TypedDocumentString(`
    fragment SendHealth on Mailbox {
  sendStatus
  sendStatusReason
  lastSentAt
  lastSendError
  throttledUntil
}
    `, {"fragmentName":"SendHealth"}) as unknown as TypedDocumentString<SendHealthFragment, unknown>;
export const ConnectOffice365Document = new TypedDocumentString(`
    mutation ConnectOffice365($input: ConnectOffice365Input!) {
  connectOffice365(input: $input) {
    authorizationURL
  }
}
    `) as unknown as TypedDocumentString<ConnectOffice365Mutation, ConnectOffice365MutationVariables>;
export const SetSyncDocument = new TypedDocumentString(`
    mutation SetSync($input: SetSyncInput!) {
  setSync(input: $input) {
    mailbox {
      id
      syncEnabled
    }
  }
}
    `) as unknown as TypedDocumentString<SetSyncMutation, SetSyncMutationVariables>;
export const SetSendDocument = new TypedDocumentString(`
    mutation SetSend($input: SetSendInput!) {
  setSend(input: $input) {
    mailbox {
      id
      sendEnabled
    }
  }
}
    `) as unknown as TypedDocumentString<SetSendMutation, SetSendMutationVariables>;
export const DisconnectOffice365Document = new TypedDocumentString(`
    mutation DisconnectOffice365($input: DisconnectOffice365Input!) {
  disconnectOffice365(input: $input) {
    mailbox {
      id
      connectionState
    }
  }
}
    `) as unknown as TypedDocumentString<DisconnectOffice365Mutation, DisconnectOffice365MutationVariables>;
export const AdminConsentOffice365Document = new TypedDocumentString(`
    mutation AdminConsentOffice365 {
  adminConsentOffice365 {
    adminConsentURL
  }
}
    `) as unknown as TypedDocumentString<AdminConsentOffice365Mutation, AdminConsentOffice365MutationVariables>;
export const MailboxesDocument = new TypedDocumentString(`
    query Mailboxes {
  viewer {
    outlookAddinMinVersion
    user {
      id
      outlookAddinVersion
    }
    mailboxes {
      id
      address
      provider
      connectionState
      connectionError
      syncEnabled
      sendEnabled
      isDefault
      needsMigration
      undeliveredEmailCount
      lastSyncedAt
      lastSyncError
      ...SendHealth
    }
  }
}
    fragment SendHealth on Mailbox {
  sendStatus
  sendStatusReason
  lastSentAt
  lastSendError
  throttledUntil
}`) as unknown as TypedDocumentString<MailboxesQuery, MailboxesQueryVariables>;
export const AssignableMailboxesDocument = new TypedDocumentString(`
    query AssignableMailboxes {
  assignableMailboxes {
    eligible
    reason
    mailbox {
      id
      address
      provider
      connectionState
      user {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AssignableMailboxesQuery, AssignableMailboxesQueryVariables>;
export const AssignMailboxDocument = new TypedDocumentString(`
    mutation AssignMailbox($input: AssignMailboxInput!) {
  assignMailbox(input: $input) {
    dryRun
    background
    statesSelected
    statesAssigned
    emailsMoved
    emailsDelivering
    skipped {
      reason
      count
    }
    assignment {
      id
      status
      total
      done
    }
  }
}
    `) as unknown as TypedDocumentString<AssignMailboxMutation, AssignMailboxMutationVariables>;
export const AssignmentProgressDocument = new TypedDocumentString(`
    query AssignmentProgress($id: ID!) {
  assignment(id: $id) {
    id
    status
    total
    done
    statesAssigned
    emailsMoved
    emailsDelivering
    error
    skipped {
      reason
      count
    }
  }
}
    `) as unknown as TypedDocumentString<AssignmentProgressQuery, AssignmentProgressQueryVariables>;
export const SequenceStatesDocument = new TypedDocumentString(`
    query SequenceStates($first: Int!, $after: Cursor, $filter: SequenceStateFilterInput) {
  sequenceStates(
    first: $first
    after: $after
    filter: $filter
    orderBy: {field: CREATED_AT, direction: DESC}
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        state
        stateReason
        currentStep
        updatedAt
        prospect {
          email
          firstName
          lastName
        }
        sequence {
          name
        }
        mailbox {
          address
        }
        user {
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SequenceStatesQuery, SequenceStatesQueryVariables>;
export const SequenceStateOwnersDocument = new TypedDocumentString(`
    query SequenceStateOwners {
  users(first: 100) {
    edges {
      node {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SequenceStateOwnersQuery, SequenceStateOwnersQueryVariables>;
export const SequenceStateSequencesDocument = new TypedDocumentString(`
    query SequenceStateSequences {
  sequences {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<SequenceStateSequencesQuery, SequenceStateSequencesQueryVariables>;
export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    user {
      id
      name
      email
      timeZone
    }
    organization {
      id
      name
    }
    isAdmin
  }
}
    `) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
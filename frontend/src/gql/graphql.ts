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

/** Narrows the audit trail. */
export type AuditEventFilterInput = {
  action?: string | null | undefined;
  actorID?: string | number | null | undefined;
  /** Only events at or after this time. */
  since?: string | null | undefined;
  targetID?: string | number | null | undefined;
  /** Only events before this time. */
  until?: string | null | undefined;
  /** Events done by this user or about their data (the audit log's person). */
  userID?: string | number | null | undefined;
};

export type ConnectOffice365Input = {
  mailboxID: string | number;
};

export type CreateApiTokenInput = {
  /**
   * When the token stops working (must be in the future); omit for a token
   * that works until revoked.
   */
  expiresAt?: string | null | undefined;
  name: string;
  /**
   * The user the token acts as; defaults to the viewer. Only admins may name
   * another user.
   */
  userID?: string | number | null | undefined;
};

export type DisconnectOffice365Input = {
  mailboxID: string | number;
};

export type DismissNotificationInput = {
  notificationID: string | number;
};

/** MailboxConnectionState is enum for the field connection_state */
export type MailboxConnectionState =
  | 'CONNECTED'
  | 'ERROR'
  | 'NEEDS_RECONNECT'
  | 'NOT_CONNECTED'
  | 'PENDING_ADMIN_APPROVAL';

/** Narrows the mailbox list. All given conditions must hold. */
export type MailboxFilterInput = {
  /** Case-insensitive substring of the address. */
  addressContains?: string | null | undefined;
  connectionStates?: Array<MailboxConnectionState> | null | undefined;
  /** Only mailboxes in error: connection state Error, or a sync or send error. */
  hasError?: boolean | null | undefined;
  isDefault?: boolean | null | undefined;
  /** Only legacy Exchange Web Services mailboxes that must move to Graph. */
  needsMigration?: boolean | null | undefined;
  /** Only mailboxes of users who have no default mailbox (true). */
  ownerHasNoDefault?: boolean | null | undefined;
  provider?: MailboxProvider | null | undefined;
  sendEnabled?: boolean | null | undefined;
  syncEnabled?: boolean | null | undefined;
  userID?: string | number | null | undefined;
};

/** Ordering options for Mailbox connections */
export type MailboxOrder = {
  /** The ordering direction. */
  direction?: OrderDirection;
  /** The field by which to order Mailboxes. */
  field: MailboxOrderField;
};

/** Properties by which Mailbox connections can be ordered. */
export type MailboxOrderField =
  | 'ADDRESS'
  | 'CONNECTION_STATE'
  | 'CREATED_AT'
  | 'UPDATED_AT';

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

/** MailboxSyncStage is enum for the field sync_stage */
export type MailboxSyncStage =
  | 'FAILED'
  | 'IDLE'
  | 'INCREMENTAL'
  | 'INITIAL_SYNC'
  | 'PAUSED';

export type MakeDefaultInput = {
  mailboxID: string | number;
};

/**
 * What a user has to do next to finish moving to Microsoft Graph, in the
 * help article's order.
 */
export type MigrationStep =
  /** Assign the sequence states (and their undelivered emails) to the new mailbox. */
  | 'ASSIGN_SEQUENCE_STATES'
  /** Connect the mailbox they use with Office 365 OAuth. */
  | 'CONNECT_GRAPH_MAILBOX'
  /** Disable Syncing and Sending on the old (EWS) mailbox. */
  | 'DISABLE_OLD_MAILBOX'
  /** Nothing left to do. */
  | 'DONE'
  /** Enable Syncing and Sending on the connected mailbox, and save. */
  | 'ENABLE_GRAPH_MAILBOX'
  /** Make the new mailbox the default mailbox. */
  | 'MAKE_NEW_DEFAULT';

/** NotificationKind is enum for the field kind */
export type NotificationKind =
  | 'MIGRATION';

export type NotifyMigrationUsersInput = {
  userIDs?: Array<string | number> | null | undefined;
};

/** Possible directions in which to order a list of items when provided an `orderBy` argument. */
export type OrderDirection =
  /** Specifies an ascending order for a given `orderBy` argument. */
  | 'ASC'
  /** Specifies a descending order for a given `orderBy` argument. */
  | 'DESC';

export type RevokeApiTokenInput = {
  apiTokenID: string | number;
};

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

export type MakeDefaultMutationVariables = Exact<{
  input: MakeDefaultInput;
}>;


export type MakeDefaultMutation = { makeDefault: { mailbox: { id: string, isDefault: boolean } } };

export type MailboxesQueryVariables = Exact<{ [key: string]: never; }>;


export type MailboxesQuery = { viewer: { outlookAddinMinVersion: string | null, user: { id: string, outlookAddinVersion: string | null }, mailboxes: Array<{ id: string, address: string, provider: MailboxProvider | null, connectionState: MailboxConnectionState, connectionError: string | null, syncEnabled: boolean, sendEnabled: boolean, isDefault: boolean, needsMigration: boolean, undeliveredEmailCount: number, lastSyncedAt: string | null, lastSyncError: string | null, syncStage: MailboxSyncStage, syncProgressDone: number, syncProgressTotal: number | null, throttledUntil: string | null, sendStatus: MailboxSendStatus, sendStatusReason: string | null, lastSentAt: string | null, lastSendError: string | null }> } };

export type SendHealthFragment = { sendStatus: MailboxSendStatus, sendStatusReason: string | null, lastSentAt: string | null, lastSendError: string | null, throttledUntil: string | null };

export type SyncHealthFieldsFragment = { syncEnabled: boolean, syncStage: MailboxSyncStage, syncProgressDone: number, syncProgressTotal: number | null, throttledUntil: string | null };

export type OrganizationMailboxesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: MailboxFilterInput | null | undefined;
  orderBy?: MailboxOrder | null | undefined;
}>;


export type OrganizationMailboxesQuery = { mailboxes: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, address: string, provider: MailboxProvider | null, connectionState: MailboxConnectionState, connectionError: string | null, isDefault: boolean, syncEnabled: boolean, sendEnabled: boolean, syncStage: MailboxSyncStage, lastSyncedAt: string | null, lastSyncError: string | null, lastSentAt: string | null, lastSendError: string | null, throttledUntil: string | null, needsMigration: boolean, undeliveredEmailCount: number, user: { id: string, name: string, email: string } } | null } | null> | null } };

export type MigrationOverviewQueryVariables = Exact<{
  step?: MigrationStep | null | undefined;
  offset?: number | null | undefined;
}>;


export type MigrationOverviewQuery = { migration: { usersOnEWS: number, usersToMigrate: number, mailboxesOnEWS: number, heldEmailCount: number, earliestHeldDueAt: string | null, progress: Array<{ day: string, usersToMigrate: number, mailboxesOnEws: number, heldEmails: number }>, users: { totalCount: number, nodes: Array<{ nextStep: MigrationStep, heldEmailCount: number, notifiedAt: string | null, user: { id: string, name: string, email: string }, ewsMailboxes: Array<{ id: string, address: string }>, graphMailbox: { id: string, address: string } | null }> } } };

export type NotifyMigrationUsersMutationVariables = Exact<{
  input: NotifyMigrationUsersInput;
}>;


export type NotifyMigrationUsersMutation = { notifyMigrationUsers: { notified: number } };

export type MicrosoftTenantQueryVariables = Exact<{ [key: string]: never; }>;


export type MicrosoftTenantQuery = { microsoftTenant: { adminConsentGranted: boolean, adminConsentGrantedAt: string | null, pendingApprovalCount: number, tenantIDs: Array<string>, adminConsentGrantedBy: { id: string, name: string } | null }, mailboxes: { edges: Array<{ node: { id: string, address: string, updatedAt: string, user: { id: string, name: string } } | null } | null> | null } };

export type OrganizationApiTokensQueryVariables = Exact<{ [key: string]: never; }>;


export type OrganizationApiTokensQuery = { apiTokens: Array<{ id: string, name: string, prefix: string, createdAt: string, lastUsedAt: string | null, expiresAt: string | null, revokedAt: string | null, user: { id: string, name: string, email: string } }> };

export type CreateApiTokenMutationVariables = Exact<{
  input: CreateApiTokenInput;
}>;


export type CreateApiTokenMutation = { createAPIToken: { token: string, apiToken: { id: string, name: string } } };

export type RevokeApiTokenMutationVariables = Exact<{
  input: RevokeApiTokenInput;
}>;


export type RevokeApiTokenMutation = { revokeAPIToken: { apiToken: { id: string, revokedAt: string | null } } };

export type OrganizationUsersQueryVariables = Exact<{ [key: string]: never; }>;


export type OrganizationUsersQuery = { users: { edges: Array<{ node: { id: string, name: string, email: string } | null } | null> | null } };

export type AuditLogQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: AuditEventFilterInput | null | undefined;
}>;


export type AuditLogQuery = { auditEvents: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, createdAt: string, action: string, targetType: string, targetID: string | null, targetLabel: string | null, actor: { id: string, name: string } | null, subjectUser: { id: string, name: string } | null, changes: Array<{ field: string, from: string | null, to: string | null }> | null } | null } | null> | null } };

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

export type DismissNotificationMutationVariables = Exact<{
  input: DismissNotificationInput;
}>;


export type DismissNotificationMutation = { dismissNotification: { notification: { id: string } } };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { isAdmin: boolean, user: { id: string, name: string, email: string, timeZone: string }, organization: { id: string, name: string }, notifications: Array<{ id: string, kind: NotificationKind, message: string, createdAt: string }> } };

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
export const SyncHealthFieldsFragmentDoc = new TypedDocumentString(`
    fragment SyncHealthFields on Mailbox {
  syncEnabled
  syncStage
  syncProgressDone
  syncProgressTotal
  throttledUntil
}
    `, {"fragmentName":"SyncHealthFields"}) as unknown as TypedDocumentString<SyncHealthFieldsFragment, unknown>;
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
export const MakeDefaultDocument = new TypedDocumentString(`
    mutation MakeDefault($input: MakeDefaultInput!) {
  makeDefault(input: $input) {
    mailbox {
      id
      isDefault
    }
  }
}
    `) as unknown as TypedDocumentString<MakeDefaultMutation, MakeDefaultMutationVariables>;
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
      ...SyncHealthFields
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
}
fragment SyncHealthFields on Mailbox {
  syncEnabled
  syncStage
  syncProgressDone
  syncProgressTotal
  throttledUntil
}`) as unknown as TypedDocumentString<MailboxesQuery, MailboxesQueryVariables>;
export const OrganizationMailboxesDocument = new TypedDocumentString(`
    query OrganizationMailboxes($first: Int, $after: Cursor, $filter: MailboxFilterInput, $orderBy: MailboxOrder) {
  mailboxes(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        address
        provider
        connectionState
        connectionError
        isDefault
        syncEnabled
        sendEnabled
        syncStage
        lastSyncedAt
        lastSyncError
        lastSentAt
        lastSendError
        throttledUntil
        needsMigration
        undeliveredEmailCount
        user {
          id
          name
          email
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<OrganizationMailboxesQuery, OrganizationMailboxesQueryVariables>;
export const MigrationOverviewDocument = new TypedDocumentString(`
    query MigrationOverview($step: MigrationStep, $offset: Int) {
  migration {
    usersOnEWS
    usersToMigrate
    mailboxesOnEWS
    heldEmailCount
    earliestHeldDueAt
    progress(days: 30) {
      day
      usersToMigrate
      mailboxesOnEws
      heldEmails
    }
    users(first: 25, offset: $offset, step: $step) {
      totalCount
      nodes {
        nextStep
        heldEmailCount
        notifiedAt
        user {
          id
          name
          email
        }
        ewsMailboxes {
          id
          address
        }
        graphMailbox {
          id
          address
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<MigrationOverviewQuery, MigrationOverviewQueryVariables>;
export const NotifyMigrationUsersDocument = new TypedDocumentString(`
    mutation NotifyMigrationUsers($input: NotifyMigrationUsersInput!) {
  notifyMigrationUsers(input: $input) {
    notified
  }
}
    `) as unknown as TypedDocumentString<NotifyMigrationUsersMutation, NotifyMigrationUsersMutationVariables>;
export const MicrosoftTenantDocument = new TypedDocumentString(`
    query MicrosoftTenant {
  microsoftTenant {
    adminConsentGranted
    adminConsentGrantedAt
    adminConsentGrantedBy {
      id
      name
    }
    pendingApprovalCount
    tenantIDs
  }
  mailboxes(
    first: 50
    filter: {connectionStates: [PENDING_ADMIN_APPROVAL]}
    orderBy: {field: ADDRESS}
  ) {
    edges {
      node {
        id
        address
        updatedAt
        user {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<MicrosoftTenantQuery, MicrosoftTenantQueryVariables>;
export const OrganizationApiTokensDocument = new TypedDocumentString(`
    query OrganizationAPITokens {
  apiTokens {
    id
    name
    prefix
    createdAt
    lastUsedAt
    expiresAt
    revokedAt
    user {
      id
      name
      email
    }
  }
}
    `) as unknown as TypedDocumentString<OrganizationApiTokensQuery, OrganizationApiTokensQueryVariables>;
export const CreateApiTokenDocument = new TypedDocumentString(`
    mutation CreateAPIToken($input: CreateAPITokenInput!) {
  createAPIToken(input: $input) {
    token
    apiToken {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<CreateApiTokenMutation, CreateApiTokenMutationVariables>;
export const RevokeApiTokenDocument = new TypedDocumentString(`
    mutation RevokeAPIToken($input: RevokeAPITokenInput!) {
  revokeAPIToken(input: $input) {
    apiToken {
      id
      revokedAt
    }
  }
}
    `) as unknown as TypedDocumentString<RevokeApiTokenMutation, RevokeApiTokenMutationVariables>;
export const OrganizationUsersDocument = new TypedDocumentString(`
    query OrganizationUsers {
  users(first: 100, orderBy: {field: NAME}) {
    edges {
      node {
        id
        name
        email
      }
    }
  }
}
    `) as unknown as TypedDocumentString<OrganizationUsersQuery, OrganizationUsersQueryVariables>;
export const AuditLogDocument = new TypedDocumentString(`
    query AuditLog($first: Int, $after: Cursor, $filter: AuditEventFilterInput) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        createdAt
        action
        targetType
        targetID
        targetLabel
        actor {
          id
          name
        }
        subjectUser {
          id
          name
        }
        changes {
          field
          from
          to
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AuditLogQuery, AuditLogQueryVariables>;
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
export const DismissNotificationDocument = new TypedDocumentString(`
    mutation DismissNotification($input: DismissNotificationInput!) {
  dismissNotification(input: $input) {
    notification {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<DismissNotificationMutation, DismissNotificationMutationVariables>;
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
    notifications {
      id
      kind
      message
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
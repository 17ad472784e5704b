/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation ConnectOffice365($input: ConnectOffice365Input!) {\n  connectOffice365(input: $input) {\n    authorizationURL\n  }\n}\n\nmutation SetSync($input: SetSyncInput!) {\n  setSync(input: $input) {\n    mailbox {\n      id\n      syncEnabled\n    }\n  }\n}\n\nmutation SetSend($input: SetSendInput!) {\n  setSend(input: $input) {\n    mailbox {\n      id\n      sendEnabled\n    }\n  }\n}\n\nmutation DisconnectOffice365($input: DisconnectOffice365Input!) {\n  disconnectOffice365(input: $input) {\n    mailbox {\n      id\n      connectionState\n    }\n  }\n}\n\nmutation AdminConsentOffice365 {\n  adminConsentOffice365 {\n    adminConsentURL\n  }\n}": typeof types.ConnectOffice365Document,
    "query Mailboxes {\n  viewer {\n    outlookAddinMinVersion\n    user {\n      id\n      outlookAddinVersion\n    }\n    mailboxes {\n      id\n      address\n      provider\n      connectionState\n      connectionError\n      syncEnabled\n      sendEnabled\n      isDefault\n      needsMigration\n      undeliveredEmailCount\n      lastSyncedAt\n      lastSyncError\n      ...SendHealth\n    }\n  }\n}": typeof types.MailboxesDocument,
    "fragment SendHealth on Mailbox {\n  sendStatus\n  sendStatusReason\n  lastSentAt\n  lastSendError\n  throttledUntil\n}": typeof types.SendHealthFragmentDoc,
    "query AssignableMailboxes {\n  assignableMailboxes {\n    eligible\n    reason\n    mailbox {\n      id\n      address\n      provider\n      connectionState\n      user {\n        id\n        name\n      }\n    }\n  }\n}\n\nmutation AssignMailbox($input: AssignMailboxInput!) {\n  assignMailbox(input: $input) {\n    dryRun\n    background\n    statesSelected\n    statesAssigned\n    emailsMoved\n    emailsDelivering\n    skipped {\n      reason\n      count\n    }\n    assignment {\n      id\n      status\n      total\n      done\n    }\n  }\n}\n\nquery AssignmentProgress($id: ID!) {\n  assignment(id: $id) {\n    id\n    status\n    total\n    done\n    statesAssigned\n    emailsMoved\n    emailsDelivering\n    error\n    skipped {\n      reason\n      count\n    }\n  }\n}": typeof types.AssignableMailboxesDocument,
    "query SequenceStates($first: Int!, $after: Cursor, $filter: SequenceStateFilterInput) {\n  sequenceStates(\n    first: $first\n    after: $after\n    filter: $filter\n    orderBy: {field: CREATED_AT, direction: DESC}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        state\n        stateReason\n        currentStep\n        updatedAt\n        prospect {\n          email\n          firstName\n          lastName\n        }\n        sequence {\n          name\n        }\n        mailbox {\n          address\n        }\n        user {\n          name\n        }\n      }\n    }\n  }\n}\n\nquery SequenceStateOwners {\n  users(first: 100) {\n    edges {\n      node {\n        id\n        name\n      }\n    }\n  }\n}\n\nquery SequenceStateSequences {\n  sequences {\n    id\n    name\n  }\n}": typeof types.SequenceStatesDocument,
    "query Viewer {\n  viewer {\n    user {\n      id\n      name\n      email\n      timeZone\n    }\n    organization {\n      id\n      name\n    }\n    isAdmin\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "mutation ConnectOffice365($input: ConnectOffice365Input!) {\n  connectOffice365(input: $input) {\n    authorizationURL\n  }\n}\n\nmutation SetSync($input: SetSyncInput!) {\n  setSync(input: $input) {\n    mailbox {\n      id\n      syncEnabled\n    }\n  }\n}\n\nmutation SetSend($input: SetSendInput!) {\n  setSend(input: $input) {\n    mailbox {\n      id\n      sendEnabled\n    }\n  }\n}\n\nmutation DisconnectOffice365($input: DisconnectOffice365Input!) {\n  disconnectOffice365(input: $input) {\n    mailbox {\n      id\n      connectionState\n    }\n  }\n}\n\nmutation AdminConsentOffice365 {\n  adminConsentOffice365 {\n    adminConsentURL\n  }\n}": types.ConnectOffice365Document,
    "query Mailboxes {\n  viewer {\n    outlookAddinMinVersion\n    user {\n      id\n      outlookAddinVersion\n    }\n    mailboxes {\n      id\n      address\n      provider\n      connectionState\n      connectionError\n      syncEnabled\n      sendEnabled\n      isDefault\n      needsMigration\n      undeliveredEmailCount\n      lastSyncedAt\n      lastSyncError\n      ...SendHealth\n    }\n  }\n}": types.MailboxesDocument,
    "fragment SendHealth on Mailbox {\n  sendStatus\n  sendStatusReason\n  lastSentAt\n  lastSendError\n  throttledUntil\n}": types.SendHealthFragmentDoc,
    "query AssignableMailboxes {\n  assignableMailboxes {\n    eligible\n    reason\n    mailbox {\n      id\n      address\n      provider\n      connectionState\n      user {\n        id\n        name\n      }\n    }\n  }\n}\n\nmutation AssignMailbox($input: AssignMailboxInput!) {\n  assignMailbox(input: $input) {\n    dryRun\n    background\n    statesSelected\n    statesAssigned\n    emailsMoved\n    emailsDelivering\n    skipped {\n      reason\n      count\n    }\n    assignment {\n      id\n      status\n      total\n      done\n    }\n  }\n}\n\nquery AssignmentProgress($id: ID!) {\n  assignment(id: $id) {\n    id\n    status\n    total\n    done\n    statesAssigned\n    emailsMoved\n    emailsDelivering\n    error\n    skipped {\n      reason\n      count\n    }\n  }\n}": types.AssignableMailboxesDocument,
    "query SequenceStates($first: Int!, $after: Cursor, $filter: SequenceStateFilterInput) {\n  sequenceStates(\n    first: $first\n    after: $after\n    filter: $filter\n    orderBy: {field: CREATED_AT, direction: DESC}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        state\n        stateReason\n        currentStep\n        updatedAt\n        prospect {\n          email\n          firstName\n          lastName\n        }\n        sequence {\n          name\n        }\n        mailbox {\n          address\n        }\n        user {\n          name\n        }\n      }\n    }\n  }\n}\n\nquery SequenceStateOwners {\n  users(first: 100) {\n    edges {\n      node {\n        id\n        name\n      }\n    }\n  }\n}\n\nquery SequenceStateSequences {\n  sequences {\n    id\n    name\n  }\n}": types.SequenceStatesDocument,
    "query Viewer {\n  viewer {\n    user {\n      id\n      name\n      email\n      timeZone\n    }\n    organization {\n      id\n      name\n    }\n    isAdmin\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConnectOffice365($input: ConnectOffice365Input!) {\n  connectOffice365(input: $input) {\n    authorizationURL\n  }\n}\n\nmutation SetSync($input: SetSyncInput!) {\n  setSync(input: $input) {\n    mailbox {\n      id\n      syncEnabled\n    }\n  }\n}\n\nmutation SetSend($input: SetSendInput!) {\n  setSend(input: $input) {\n    mailbox {\n      id\n      sendEnabled\n    }\n  }\n}\n\nmutation DisconnectOffice365($input: DisconnectOffice365Input!) {\n  disconnectOffice365(input: $input) {\n    mailbox {\n      id\n      connectionState\n    }\n  }\n}\n\nmutation AdminConsentOffice365 {\n  adminConsentOffice365 {\n    adminConsentURL\n  }\n}"): typeof import('./graphql').ConnectOffice365Document;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Mailboxes {\n  viewer {\n    outlookAddinMinVersion\n    user {\n      id\n      outlookAddinVersion\n    }\n    mailboxes {\n      id\n      address\n      provider\n      connectionState\n      connectionError\n      syncEnabled\n      sendEnabled\n      isDefault\n      needsMigration\n      undeliveredEmailCount\n      lastSyncedAt\n      lastSyncError\n      ...SendHealth\n    }\n  }\n}"): typeof import('./graphql').MailboxesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment SendHealth on Mailbox {\n  sendStatus\n  sendStatusReason\n  lastSentAt\n  lastSendError\n  throttledUntil\n}"): typeof import('./graphql').SendHealthFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AssignableMailboxes {\n  assignableMailboxes {\n    eligible\n    reason\n    mailbox {\n      id\n      address\n      provider\n      connectionState\n      user {\n        id\n        name\n      }\n    }\n  }\n}\n\nmutation AssignMailbox($input: AssignMailboxInput!) {\n  assignMailbox(input: $input) {\n    dryRun\n    background\n    statesSelected\n    statesAssigned\n    emailsMoved\n    emailsDelivering\n    skipped {\n      reason\n      count\n    }\n    assignment {\n      id\n      status\n      total\n      done\n    }\n  }\n}\n\nquery AssignmentProgress($id: ID!) {\n  assignment(id: $id) {\n    id\n    status\n    total\n    done\n    statesAssigned\n    emailsMoved\n    emailsDelivering\n    error\n    skipped {\n      reason\n      count\n    }\n  }\n}"): typeof import('./graphql').AssignableMailboxesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SequenceStates($first: Int!, $after: Cursor, $filter: SequenceStateFilterInput) {\n  sequenceStates(\n    first: $first\n    after: $after\n    filter: $filter\n    orderBy: {field: CREATED_AT, direction: DESC}\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        state\n        stateReason\n        currentStep\n        updatedAt\n        prospect {\n          email\n          firstName\n          lastName\n        }\n        sequence {\n          name\n        }\n        mailbox {\n          address\n        }\n        user {\n          name\n        }\n      }\n    }\n  }\n}\n\nquery SequenceStateOwners {\n  users(first: 100) {\n    edges {\n      node {\n        id\n        name\n      }\n    }\n  }\n}\n\nquery SequenceStateSequences {\n  sequences {\n    id\n    name\n  }\n}"): typeof import('./graphql').SequenceStatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    user {\n      id\n      name\n      email\n      timeZone\n    }\n    organization {\n      id\n      name\n    }\n    isAdmin\n  }\n}"): typeof import('./graphql').ViewerDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

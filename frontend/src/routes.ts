/** Client-side routes. The Go server serves index.html for each of them. */
export const routes = {
  signIn: "/sign-in",
  mailboxes: "/settings/mailboxes",
  sequenceStates: "/settings/sequence-states",
  orgMailboxes: "/settings/organization/mailboxes",
  migration: "/settings/organization/migration",
  microsoftTenant: "/settings/organization/microsoft",
  apiTokens: "/settings/organization/api-tokens",
  auditLog: "/settings/organization/audit-log",
} as const;

/** The page to land on after signing in. */
export const homePath = routes.mailboxes;

/**
 * Keeps only same-origin app paths as a return address, so a crafted
 * `?next=` cannot send the user to another site or to a server route.
 */
export function safeNextPath(next: string | null): string {
  if (
    next === null ||
    !next.startsWith("/") ||
    next.startsWith("//") ||
    next.includes("\\") ||
    next.startsWith(routes.signIn) ||
    /^\/(auth|api|graphql)(\/|$|\?)/.test(next)
  ) {
    return homePath;
  }
  return next;
}

/** The sign-in page, remembering where to come back to. */
export function signInPath(next?: string): string {
  if (next === undefined || safeNextPath(next) === homePath) {
    return routes.signIn;
  }
  return `${routes.signIn}?${new URLSearchParams({ next }).toString()}`;
}

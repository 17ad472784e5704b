import { useMutation } from "@tanstack/react-query";
import { executeGraphQL } from "../api/graphql";
import { useConfig } from "../config";
import { AdminConsentOffice365Document } from "../gql/graphql";
import { ErrorAlert } from "../ui/ErrorAlert";

/**
 * For admins: approve Mailbridge for the whole Microsoft organization, so
 * mailboxes Pending admin approval can connect.
 */
export function AdminConsent({ navigate = (url: string) => window.location.assign(url) }: { navigate?: (url: string) => void }) {
  const { graphqlPath, csrfHeader } = useConfig();
  const start = useMutation({
    mutationFn: () => executeGraphQL({ path: graphqlPath, csrfHeader }, AdminConsentOffice365Document, {}),
    onSuccess: (data) => navigate(data.adminConsentOffice365.adminConsentURL),
  });
  return (
    <div className="panel__connect">
      <p>
        If your Microsoft organization requires an administrator to approve Mailbridge, an
        administrator of your Microsoft organization can approve it for everyone here.
      </p>
      <button
        type="button"
        className="button button--secondary"
        disabled={start.isPending}
        onClick={() => start.mutate()}
      >
        Approve Mailbridge for your organization
      </button>
      {start.isError && <ErrorAlert title="Mailbridge could not start admin consent." error={start.error} />}
    </div>
  );
}

/** The admin consent outcome (?adminConsent=granted|refused) in words. */
export function adminConsentMessage(outcome: string | null, code: string | null): string | null {
  switch (outcome) {
    case "granted":
      return "Mailbridge is approved for your Microsoft organization. Users whose mailboxes are Pending admin approval can now click Connect with Office 365.";
    case "refused":
      return `Microsoft did not record the approval${code ? ` (Microsoft error code: ${code})` : ""}. Sign in with an administrator account of your Microsoft organization and try again.`;
    default:
      return null;
  }
}

import { useGraphQLQuery } from "../api/query";
import { formatDateTime } from "../format";
import { MicrosoftTenantDocument } from "../gql/graphql";
import { AdminConsent } from "../mailboxes/AdminConsent";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { AdminOnly } from "./AdminOnly";

function MicrosoftTenant({ navigate }: { navigate: ((url: string) => void) | undefined }) {
  usePageTitle("Microsoft tenant");
  const viewer = useViewer();
  const query = useGraphQLQuery(["microsoftTenant"], MicrosoftTenantDocument, {});
  const tenant = query.data?.microsoftTenant;
  const pending = (query.data?.mailboxes.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <>
      <Breadcrumb trail={["Settings", "Organization", "Microsoft tenant"]} />
      <PageHeading>Microsoft tenant</PageHeading>
      <p className="page-intro">
        Many Microsoft organizations let only an administrator approve apps. Once an administrator
        of your Microsoft organization grants admin consent, users whose mailboxes are Pending admin
        approval can click Connect with Office 365 again.
      </p>
      {query.isPending && <Loading label="Loading the Microsoft tenant…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert title="The Microsoft tenant could not be loaded." error={query.error} onRetry={() => void query.refetch()} />
      )}
      {tenant !== undefined && (
        <>
          <section aria-labelledby="consent-heading" className="section">
            <h2 id="consent-heading" className="section__title">
              Admin consent
            </h2>
            <p data-testid="admin-consent-state">
              {tenant.adminConsentGranted && tenant.adminConsentGrantedAt != null
                ? `Granted on ${formatDateTime(tenant.adminConsentGrantedAt, viewer.user.timeZone)}${
                    tenant.adminConsentGrantedBy != null ? ` by ${tenant.adminConsentGrantedBy.name}` : ""
                  }.`
                : "Not granted through Mailbridge yet."}
            </p>
            {tenant.tenantIDs.length > 0 && (
              <p className="cell-secondary">Microsoft tenant ID: {tenant.tenantIDs.join(", ")}</p>
            )}
            {navigate !== undefined ? <AdminConsent navigate={navigate} /> : <AdminConsent />}
          </section>
          <section aria-labelledby="pending-heading" className="section">
            <h2 id="pending-heading" className="section__title">
              Pending approval requests ({tenant.pendingApprovalCount.toLocaleString()})
            </h2>
            {pending.length === 0 ? (
              <div className="empty">
                <p className="empty__title">No pending approval requests</p>
                <p>Mailboxes appear here when a user clicks Request approval at Microsoft.</p>
              </div>
            ) : (
              <ul className="plain-list" aria-labelledby="pending-heading">
                {pending.map((mb) => (
                  <li key={mb.id}>
                    <span className="cell-primary">{mb.address}</span>
                    <span className="cell-secondary">
                      {mb.user.name} · since {formatDateTime(mb.updatedAt, viewer.user.timeZone)}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}

/** Settings > Organization > Microsoft tenant (admins only). */
export function MicrosoftTenantPage({ navigate }: { navigate?: (url: string) => void } = {}) {
  return (
    <AdminOnly page="Microsoft tenant">
      <MicrosoftTenant navigate={navigate} />
    </AdminOnly>
  );
}

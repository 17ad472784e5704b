import { keepPreviousData } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useGraphQLQuery } from "../api/query";
import { formatDateTime } from "../format";
import { AuditLogDocument, OrganizationUsersDocument, type AuditEventFilterInput } from "../gql/graphql";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { AdminOnly } from "./AdminOnly";

export const auditPageSize = 50;

/** Audit actions in words. */
export const actionLabels: Record<string, string> = {
  "mailbox.add": "Added a mailbox",
  "mailbox.remove": "Removed a mailbox",
  "mailbox.connect": "Connected with Office 365",
  "mailbox.connectFailed": "Connecting with Office 365 failed",
  "mailbox.disconnect": "Disconnected from Office 365",
  "mailbox.setSync": "Turned Syncing on or off",
  "mailbox.setSend": "Turned Sending on or off",
  "mailbox.makeDefault": "Made a mailbox the default",
  "sequenceStates.assignMailbox": "Assigned sequence states (Assign Mailbox)",
  "organization.adminConsent": "Granted admin consent",
  "organization.setAllowCrossOwnerAssignment": "Changed cross-owner assignment",
  "migration.notifyUsers": "Reminded users to migrate",
  "apiToken.create": "Created an API token",
  "apiToken.revoke": "Revoked an API token",
};

/** A date input's day as the start of that day in UTC. */
function dayStart(day: string, plusDays = 0): string | null {
  if (day === "") return null;
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return null;
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString();
}

function AuditLog() {
  usePageTitle("Audit log");
  const viewer = useViewer();
  const ids = { person: useId(), action: useId(), since: useId(), until: useId(), heading: useId() };
  const [person, setPerson] = useState("");
  const [action, setAction] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [mailbox, setMailbox] = useState<{ id: string; label: string } | null>(null);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const users = useGraphQLQuery(["orgUsers"], OrganizationUsersDocument, {});
  const filter: AuditEventFilterInput = {
    ...(person !== "" ? { userID: person } : {}),
    ...(action !== "" ? { action } : {}),
    ...(dayStart(since) !== null ? { since: dayStart(since) } : {}),
    ...(dayStart(until, 1) !== null ? { until: dayStart(until, 1) } : {}),
    ...(mailbox !== null ? { targetID: mailbox.id } : {}),
  };
  const after = cursors[cursors.length - 1] ?? null;
  const query = useGraphQLQuery(
    ["auditLog"],
    AuditLogDocument,
    { first: auditPageSize, after, filter },
    { placeholderData: keepPreviousData },
  );
  const reset = () => setCursors([null]);
  const rows = (query.data?.auditEvents.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const pageInfo = query.data?.auditEvents.pageInfo;
  const people = (users.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const filtered = Object.keys(filter).length > 0;

  return (
    <>
      <Breadcrumb trail={["Settings", "Organization", "Audit log"]} />
      <PageHeading>Audit log</PageHeading>
      <p className="page-intro">
        Who changed which mailbox setting, connection, assignment or token, when, and from what to
        what. Newest first.
      </p>
      <div className="filters" role="group" aria-label="Filters">
        <div className="filters__field">
          <label htmlFor={ids.person}>Person</label>
          <select
            id={ids.person}
            value={person}
            onChange={(e) => {
              setPerson(e.target.value);
              reset();
            }}
          >
            <option value="">Anyone</option>
            {people.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </div>
        <div className="filters__field">
          <label htmlFor={ids.action}>Action</label>
          <select
            id={ids.action}
            value={action}
            onChange={(e) => {
              setAction(e.target.value);
              reset();
            }}
          >
            <option value="">Any action</option>
            {Object.entries(actionLabels).map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="filters__field">
          <label htmlFor={ids.since}>From</label>
          <input
            id={ids.since}
            type="date"
            value={since}
            onChange={(e) => {
              setSince(e.target.value);
              reset();
            }}
          />
        </div>
        <div className="filters__field">
          <label htmlFor={ids.until}>To</label>
          <input
            id={ids.until}
            type="date"
            value={until}
            onChange={(e) => {
              setUntil(e.target.value);
              reset();
            }}
          />
        </div>
        {mailbox !== null && (
          <button
            type="button"
            className="button button--secondary"
            onClick={() => {
              setMailbox(null);
              reset();
            }}
          >
            Mailbox: {mailbox.label} ✕<span className="visually-hidden"> (clear)</span>
          </button>
        )}
      </div>
      {query.isPending && <Loading label="Loading the audit log…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert title="The audit log could not be loaded." error={query.error} onRetry={() => void query.refetch()} />
      )}
      {query.data !== undefined && rows.length === 0 && (
        <div className="empty">
          <p className="empty__title">{filtered ? "No entries match these filters" : "Nothing recorded yet"}</p>
          <p>{filtered ? "Change or clear the filters to see more." : "Changes to mailboxes, assignments and tokens appear here."}</p>
        </div>
      )}
      {rows.length > 0 && (
        <>
          <div className="table-wrap" tabIndex={0}>
            <table className="table" aria-label="Audit log" aria-busy={query.isPlaceholderData}>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">From → to</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((ev) => (
                  <tr key={ev.id}>
                    <td className="table__nowrap">
                      <time dateTime={ev.createdAt}>{formatDateTime(ev.createdAt, viewer.user.timeZone)}</time>
                    </td>
                    <td>{ev.actor?.name ?? "Mailbridge"}</td>
                    <td>
                      <span className="cell-primary">{actionLabels[ev.action] ?? ev.action}</span>
                      <span className="cell-secondary">
                        {ev.targetType === "Mailbox" && ev.targetLabel != null && ev.targetID != null ? (
                          <button
                            type="button"
                            className="button button--link"
                            aria-label={`Show only ${ev.targetLabel}`}
                            onClick={() => {
                              setMailbox({ id: ev.targetID ?? "", label: ev.targetLabel ?? "" });
                              reset();
                            }}
                          >
                            {ev.targetLabel}
                          </button>
                        ) : (
                          ev.targetLabel
                        )}
                        {ev.subjectUser != null && ev.subjectUser.id !== ev.actor?.id && ` · for ${ev.subjectUser.name}`}
                      </span>
                    </td>
                    <td>
                      <ul className="changes">
                        {(ev.changes ?? []).map((c) => (
                          <li key={c.field}>
                            {c.field}: {c.from ?? "—"} → {c.to ?? "—"}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <div className="pager__buttons">
              <button
                type="button"
                className="button button--secondary"
                disabled={cursors.length === 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Newer
              </button>
              <button
                type="button"
                className="button button--secondary"
                disabled={pageInfo?.hasNextPage !== true}
                onClick={() => setCursors([...cursors, pageInfo?.endCursor ?? null])}
              >
                Older
              </button>
            </div>
          </nav>
        </>
      )}
    </>
  );
}

/** Settings > Organization > Audit log (admins only). */
export function AuditLogPage() {
  return (
    <AdminOnly page="Audit log">
      <AuditLog />
    </AdminOnly>
  );
}

import { keepPreviousData } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useGraphQLQuery } from "../api/query";
import { countNoun, formatDateTime } from "../format";
import {
  OrganizationMailboxesDocument,
  type MailboxFilterInput,
  type MailboxOrder,
  type OrganizationMailboxesQuery,
} from "../gql/graphql";
import { connectionStateLabels, noProviderLabel, providerLabels, syncStageLabels } from "../mailboxes/labels";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { AdminOnly } from "./AdminOnly";

export const orgMailboxesPageSize = 50;

type Row = NonNullable<
  NonNullable<NonNullable<OrganizationMailboxesQuery["mailboxes"]["edges"]>[number]>["node"]
>;

/** The list's "Show" choices: each one a server-side filter. */
export const mailboxFilters = {
  all: { label: "All mailboxes", filter: {} },
  ews: { label: "On EWS", filter: { needsMigration: true } },
  reconnect: { label: "Needs reconnect", filter: { connectionStates: ["NEEDS_RECONNECT"] } },
  pending: { label: "Pending admin approval", filter: { connectionStates: ["PENDING_ADMIN_APPROVAL"] } },
  error: { label: "Error", filter: { hasError: true } },
  notConnected: { label: "Not connected", filter: { connectionStates: ["NOT_CONNECTED"] } },
  noDefault: { label: "Owner has no default mailbox", filter: { ownerHasNoDefault: true } },
} satisfies Record<string, { label: string; filter: MailboxFilterInput }>;

type FilterKey = keyof typeof mailboxFilters;

const sorts = {
  addressAsc: { label: "Address (A–Z)", order: { field: "ADDRESS", direction: "ASC" } },
  addressDesc: { label: "Address (Z–A)", order: { field: "ADDRESS", direction: "DESC" } },
  state: { label: "Connection state", order: { field: "CONNECTION_STATE", direction: "ASC" } },
  updated: { label: "Recently changed", order: { field: "UPDATED_AT", direction: "DESC" } },
} satisfies Record<string, { label: string; order: MailboxOrder }>;

type SortKey = keyof typeof sorts;

function isKey<T extends object>(obj: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(obj, key);
}

/** Sync and send health in words: what the sync and send workers last reported. */
function Health({ row, timeZone }: { row: Row; timeZone: string }) {
  const lines: { text: string; error?: boolean }[] = [];
  lines.push({
    text: `Sync: ${syncStageLabels[row.syncStage]}${
      row.lastSyncedAt !== null ? `, last ${formatDateTime(row.lastSyncedAt, timeZone)}` : ""
    }`,
  });
  if (row.lastSyncError !== null) lines.push({ text: row.lastSyncError, error: true });
  lines.push({
    text: `Send: ${row.lastSentAt !== null ? `last ${formatDateTime(row.lastSentAt, timeZone)}` : "nothing sent yet"}`,
  });
  if (row.lastSendError !== null) lines.push({ text: row.lastSendError, error: true });
  if (row.throttledUntil !== null && new Date(row.throttledUntil) > new Date()) {
    lines.push({ text: `Throttled by Microsoft until ${formatDateTime(row.throttledUntil, timeZone)}` });
  }
  return (
    <>
      {lines.map((line) => (
        <span key={line.text} className={line.error === true ? "cell-secondary cell-error" : "cell-secondary"}>
          {line.text}
        </span>
      ))}
    </>
  );
}

function OrgMailboxes() {
  usePageTitle("Mailboxes of the organization");
  const viewer = useViewer();
  const headingID = useId();
  const ids = { show: useId(), sort: useId(), search: useId() };
  const [show, setShow] = useState<FilterKey>("all");
  const [sort, setSort] = useState<SortKey>("addressAsc");
  const [search, setSearch] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filter: MailboxFilterInput = {
    ...mailboxFilters[show].filter,
    ...(search.trim() !== "" ? { addressContains: search.trim() } : {}),
  };
  const after = cursors[cursors.length - 1] ?? null;
  const query = useGraphQLQuery(
    ["orgMailboxes"],
    OrganizationMailboxesDocument,
    { first: orgMailboxesPageSize, after, filter, orderBy: sorts[sort].order },
    { placeholderData: keepPreviousData },
  );
  const connection = query.data?.mailboxes;
  const rows = (connection?.edges ?? []).flatMap((edge) => (edge?.node ? [edge.node] : []));
  const isChangingPage = query.isPlaceholderData;
  const pageIndex = cursors.length - 1;
  const firstRow = pageIndex * orgMailboxesPageSize + 1;

  return (
    <>
      <Breadcrumb trail={["Settings", "Organization", "All mailboxes"]} />
      <PageHeading id={headingID}>Mailboxes of the organization</PageHeading>
      <p className="page-intro">
        Every user&apos;s mailboxes with their connection, Syncing and Sending, health, and the
        scheduled emails still to send. Only the mailbox&apos;s owner can connect it.
      </p>
      <div className="filters">
        <div className="filters__field">
          <label htmlFor={ids.show}>Show</label>
          <select
            id={ids.show}
            value={show}
            onChange={(event) => {
              if (isKey(mailboxFilters, event.target.value)) setShow(event.target.value);
              setCursors([null]);
            }}
          >
            {Object.entries(mailboxFilters).map(([key, f]) => (
              <option key={key} value={key}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <div className="filters__field">
          <label htmlFor={ids.sort}>Sort by</label>
          <select
            id={ids.sort}
            value={sort}
            onChange={(event) => {
              if (isKey(sorts, event.target.value)) setSort(event.target.value);
              setCursors([null]);
            }}
          >
            {Object.entries(sorts).map(([key, s]) => (
              <option key={key} value={key}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="filters__field">
          <label htmlFor={ids.search}>Address contains</label>
          <input
            id={ids.search}
            type="search"
            value={search}
            onChange={(event) => {
              setSearch(event.target.value);
              setCursors([null]);
            }}
          />
        </div>
      </div>
      {query.isPending && <Loading label="Loading mailboxes…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert title="Mailboxes could not be loaded." error={query.error} onRetry={() => void query.refetch()} />
      )}
      {connection !== undefined && rows.length === 0 && (
        <div className="empty">
          <p className="empty__title">
            {show === "all" && search === "" ? "No mailboxes yet" : "No mailboxes match"}
          </p>
          <p>
            {show === "all" && search === ""
              ? "Mailboxes appear here once users of your organization add them."
              : "Change the filters to see more."}
          </p>
        </div>
      )}
      {connection !== undefined && rows.length > 0 && (
        <>
          <p className="table-toolbar__count">{countNoun(connection.totalCount, "mailbox", "mailboxes")}</p>
          <div className="table-wrap" tabIndex={0}>
            <table className="table" aria-labelledby={headingID} aria-busy={isChangingPage}>
              <thead>
                <tr>
                  <th scope="col">Mailbox</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sync / Send</th>
                  <th scope="col">Health</th>
                  <th scope="col" className="table__number">
                    Undelivered
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id}>
                    <td>
                      <span className="cell-primary">{row.address}</span>
                      <span className="cell-secondary">
                        {row.provider !== null ? providerLabels[row.provider] : noProviderLabel}
                        {row.isDefault && " · Default"}
                      </span>
                    </td>
                    <td>
                      <span className="cell-primary">{row.user.name}</span>
                      <span className="cell-secondary">{row.user.email}</span>
                    </td>
                    <td>
                      <span className={`pill pill--${row.connectionState.toLowerCase().replaceAll("_", "-")}`}>
                        {connectionStateLabels[row.connectionState]}
                      </span>
                      {row.needsMigration && <span className="cell-secondary">On EWS: to migrate</span>}
                      {row.connectionError !== null && (
                        <span className="cell-secondary">{row.connectionError}</span>
                      )}
                    </td>
                    <td className="table__nowrap">
                      Sync {row.syncEnabled ? "on" : "off"} · Send {row.sendEnabled ? "on" : "off"}
                    </td>
                    <td>
                      <Health row={row} timeZone={viewer.user.timeZone} />
                    </td>
                    <td className="table__number">{row.undeliveredEmailCount.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <p className="pager__range" aria-live="polite">
              {isChangingPage
                ? "Loading…"
                : `Showing ${firstRow.toLocaleString()}–${(firstRow + rows.length - 1).toLocaleString()} of ${connection.totalCount.toLocaleString()}`}
            </p>
            <div className="pager__buttons">
              <button
                type="button"
                className="button button--secondary"
                disabled={pageIndex === 0 || isChangingPage}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Previous
              </button>
              <button
                type="button"
                className="button button--secondary"
                disabled={!connection.pageInfo.hasNextPage || isChangingPage}
                onClick={() => setCursors([...cursors, connection.pageInfo.endCursor ?? null])}
              >
                Next
              </button>
            </div>
          </nav>
        </>
      )}
    </>
  );
}

/** Settings > Organization > Mailboxes (admins only). */
export function OrgMailboxesPage() {
  return (
    <AdminOnly page="All mailboxes">
      <OrgMailboxes />
    </AdminOnly>
  );
}

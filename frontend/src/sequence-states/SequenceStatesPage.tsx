import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { useGraphQLQuery } from "../api/query";
import { formatDateTime } from "../format";
import {
  AssignableMailboxesDocument,
  SequenceStateOwnersDocument,
  SequenceStateSequencesDocument,
  SequenceStatesDocument,
  type SequenceStateFilterInput,
  type SequenceStatesQuery,
  type SequenceStateState,
} from "../gql/graphql";
import { AssignMailboxDialog, type Selection } from "./AssignMailboxDialog";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";

export const pageSize = 50;
export const sequenceStatesQueryKey = ["sequenceStates"] as const;

type SequenceState = NonNullable<
  NonNullable<NonNullable<SequenceStatesQuery["sequenceStates"]["edges"]>[number]>["node"]
>;

const stateLabels: Record<SequenceStateState, string> = {
  ACTIVE: "Active",
  PAUSED: "Paused",
  FINISHED: "Finished",
  FAILED: "Failed",
};

function prospectName({ firstName, lastName }: SequenceState["prospect"]): string {
  return [firstName, lastName].filter((part) => part !== null && part !== "").join(" ");
}

/** A checkbox whose "some selected" state is shown as indeterminate. */
function SelectAllCheckbox({
  checked,
  indeterminate,
  disabled,
  onChange,
}: {
  checked: boolean;
  indeterminate: boolean;
  disabled: boolean;
  onChange: (checked: boolean) => void;
}) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current !== null) {
      ref.current.indeterminate = indeterminate;
    }
  }, [indeterminate]);
  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label="Select all sequence states on this page"
      checked={checked}
      disabled={disabled}
      onChange={(event) => onChange(event.target.checked)}
    />
  );
}

/** The list's filters: owner, mailbox, state, undelivered emails, prospect. */
function Filters({
  isAdmin,
  onChange,
}: {
  isAdmin: boolean;
  onChange: (filter: SequenceStateFilterInput) => void;
}) {
  const ids = {
    owner: useId(),
    mailbox: useId(),
    sequence: useId(),
    state: useId(),
    search: useId(),
    undelivered: useId(),
  };
  const owners = useGraphQLQuery(["owners"], SequenceStateOwnersDocument, {}, { enabled: isAdmin });
  const mailboxes = useGraphQLQuery(["assignableMailboxes"], AssignableMailboxesDocument, {});
  const sequences = useGraphQLQuery(["sequences"], SequenceStateSequencesDocument, {});
  const [filter, setFilter] = useState<SequenceStateFilterInput>({});
  const [search, setSearch] = useState("");
  const apply = (next: SequenceStateFilterInput) => {
    setFilter(next);
    onChange(next);
  };
  const set = <K extends keyof SequenceStateFilterInput>(key: K, value: SequenceStateFilterInput[K] | "") => {
    const next = { ...filter };
    if (value === "" || value === undefined || value === null) {
      delete next[key];
    } else {
      next[key] = value;
    }
    apply(next);
  };
  const mailboxLabel = (provider: string | null, state: string) =>
    provider === "EXCHANGE_EWS" ? " — legacy EWS" : state !== "CONNECTED" ? " — not connected" : "";
  return (
    <form
      className="filters"
      aria-label="Filter sequence states"
      onSubmit={(event) => {
        event.preventDefault();
        set("prospectEmailContains", search.trim());
      }}
    >
      {isAdmin && (
        <div className="filters__field">
          <label htmlFor={ids.owner}>Owner</label>
          <select id={ids.owner} value={filter.userID ?? ""} onChange={(e) => set("userID", e.target.value)}>
            <option value="">Anyone</option>
            {(owners.data?.users?.edges ?? []).flatMap((edge) =>
              edge?.node ? [<option key={edge.node.id} value={edge.node.id}>{edge.node.name}</option>] : [],
            )}
          </select>
        </div>
      )}
      <div className="filters__field">
        <label htmlFor={ids.mailbox}>Mailbox</label>
        <select id={ids.mailbox} value={filter.mailboxID ?? ""} onChange={(e) => set("mailboxID", e.target.value)}>
          <option value="">Any mailbox</option>
          {(mailboxes.data?.assignableMailboxes ?? []).map(({ mailbox }) => (
            <option key={mailbox.id} value={mailbox.id}>
              {mailbox.address}
              {mailboxLabel(mailbox.provider ?? null, mailbox.connectionState)}
            </option>
          ))}
        </select>
      </div>
      <div className="filters__field">
        <label htmlFor={ids.sequence}>Sequence</label>
        <select id={ids.sequence} value={filter.sequenceID ?? ""} onChange={(e) => set("sequenceID", e.target.value)}>
          <option value="">Any sequence</option>
          {(sequences.data?.sequences ?? []).map((sequence) => (
            <option key={sequence.id} value={sequence.id}>
              {sequence.name}
            </option>
          ))}
        </select>
      </div>
      <div className="filters__field">
        <label htmlFor={ids.state}>State</label>
        <select
          id={ids.state}
          value={filter.states?.[0] ?? ""}
          onChange={(e) => set("states", e.target.value === "" ? "" : [e.target.value as SequenceStateState])}
        >
          <option value="">Any state</option>
          {Object.entries(stateLabels).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="filters__field filters__field--check">
        <input
          id={ids.undelivered}
          type="checkbox"
          checked={filter.hasUndeliveredEmails === true}
          onChange={(e) => set("hasUndeliveredEmails", e.target.checked ? true : "")}
        />
        <label htmlFor={ids.undelivered}>Has undelivered emails</label>
      </div>
      <div className="filters__field">
        <label htmlFor={ids.search}>Prospect</label>
        <input
          id={ids.search}
          type="search"
          placeholder="Email contains…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <button type="submit" className="button button--secondary">
          Search
        </button>
      </div>
    </form>
  );
}

/** The Settings menu of the list (Assign Mailbox). */
function SettingsMenu({ disabled, onAssign }: { disabled: boolean; onAssign: () => void }) {
  const [open, setOpen] = useState(false);
  const menuID = useId();
  const itemRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) {
      itemRef.current?.focus();
    }
  }, [open]);
  return (
    <div className="menu">
      <button
        type="button"
        className="button button--secondary"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuID}
        onClick={() => setOpen(!open)}
      >
        Settings
      </button>
      {open && (
        <div id={menuID} role="menu" className="menu__list" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          <button
            ref={itemRef}
            type="button"
            role="menuitem"
            disabled={disabled}
            title={disabled ? "Select sequence states first" : undefined}
            onClick={() => {
              setOpen(false);
              onAssign();
            }}
          >
            Assign Mailbox
          </button>
        </div>
      )}
    </div>
  );
}

/**
 * Settings > System Activity > Sequences States: the viewer's sequence
 * states (an admin's: the organization's), newest first, 50 a page.
 */
export function SequenceStatesPage() {
  usePageTitle("Sequences States");
  const viewer = useViewer();
  const headingID = useId();
  // Cursors of the pages visited so far: Previous goes back one entry.
  const [cursors, setCursors] = useState<readonly (string | null)[]>([null]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [filter, setFilter] = useState<SequenceStateFilterInput>({});
  const [dialog, setDialog] = useState<Selection | null>(null);
  const pageIndex = cursors.length - 1;
  const after = cursors[pageIndex] ?? null;

  const query = useGraphQLQuery(
    sequenceStatesQueryKey,
    SequenceStatesDocument,
    { first: pageSize, after, filter },
    { placeholderData: keepPreviousData },
  );

  const connection = query.data?.sequenceStates;
  const rows: SequenceState[] = (connection?.edges ?? []).flatMap((edge) =>
    edge?.node ? [edge.node] : [],
  );
  const isChangingPage = query.isPlaceholderData;
  const firstRow = pageIndex * pageSize + 1;
  const lastRow = pageIndex * pageSize + rows.length;

  const goTo = (next: readonly (string | null)[]) => {
    setSelected(new Set());
    setAllMatching(false);
    setCursors(next);
  };
  const endCursor = connection?.pageInfo.endCursor ?? null;
  const canGoNext =
    !isChangingPage && connection?.pageInfo.hasNextPage === true && endCursor !== null;
  const canGoPrevious = !isChangingPage && pageIndex > 0;

  const selectedOnPage = rows.filter((row) => selected.has(row.id)).length;
  // An empty list under filters says so, not that nothing is enrolled.
  const isFiltered = Object.values(filter).some((v) => v !== undefined && v !== null && v !== "");
  const toggle = (id: string, checked: boolean) => {
    setAllMatching(false);
    setSelected((current) => {
      const next = new Set(current);
      if (checked) {
        next.add(id);
      } else {
        next.delete(id);
      }
      return next;
    });
  };

  return (
    <>
      <Breadcrumb trail={["Settings", "System Activity", "Sequences States"]} />
      <PageHeading id={headingID}>Sequences States</PageHeading>
      <p className="page-intro">
        Prospects enrolled in sequences{viewer.isAdmin ? " across your organization" : ""}, the
        mailbox each one sends from, and where each one stands.
      </p>

      <Filters
        isAdmin={viewer.isAdmin}
        onChange={(next) => {
          setFilter(next);
          goTo([null]);
        }}
      />
      {dialog !== null && <AssignMailboxDialog selection={dialog} onClose={() => setDialog(null)} />}
      {query.isPending && <Loading label="Loading sequence states…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert
          title="Sequence states could not be loaded."
          error={query.error}
          onRetry={() => void query.refetch()}
        />
      )}
      {connection !== undefined && rows.length === 0 && pageIndex === 0 && !isFiltered && (
        <div className="empty">
          <p className="empty__title">No sequence states yet</p>
          <p>Prospects appear here once they are enrolled in a sequence.</p>
        </div>
      )}
      {connection !== undefined && rows.length === 0 && pageIndex === 0 && isFiltered && (
        <div className="empty">
          <p className="empty__title">No sequence states match these filters</p>
          <p>Change or clear the filters to see more.</p>
        </div>
      )}
      {connection !== undefined && rows.length === 0 && pageIndex > 0 && (
        <div className="empty">
          <p className="empty__title">This page is empty now</p>
          <p>The sequence states that were here have changed since the first page loaded.</p>
          <button type="button" className="button button--secondary" onClick={() => goTo([null])}>
            Back to the first page
          </button>
        </div>
      )}
      {connection !== undefined && rows.length > 0 && (
        <>
          <div className="table-toolbar">
            <p className="table-toolbar__count">
              {connection.totalCount.toLocaleString()}{" "}
              {connection.totalCount === 1 ? "sequence state" : "sequence states"}
            </p>
            <p className="table-toolbar__selection" aria-live="polite">
              {allMatching
                ? `All ${connection.totalCount.toLocaleString()} matching selected`
                : selected.size > 0 && `${selected.size.toLocaleString()} selected`}
            </p>
            {!allMatching &&
              selectedOnPage === rows.length &&
              connection.totalCount > rows.length && (
                <button type="button" className="button button--link" onClick={() => setAllMatching(true)}>
                  Select all {connection.totalCount.toLocaleString()} matching
                </button>
              )}
            <SettingsMenu
              disabled={!allMatching && selected.size === 0}
              onAssign={() =>
                setDialog(
                  allMatching
                    ? { kind: "filter", filter, count: connection.totalCount }
                    : { kind: "ids", stateIDs: [...selected] },
                )
              }
            />
          </div>
          <div className="table-wrap" tabIndex={0}>
            <table className="table" aria-labelledby={headingID} aria-busy={isChangingPage}>
              <thead>
                <tr>
                  <th scope="col" className="table__select">
                    <SelectAllCheckbox
                      checked={selectedOnPage === rows.length}
                      indeterminate={selectedOnPage > 0 && selectedOnPage < rows.length}
                      disabled={isChangingPage}
                      onChange={(checked) => {
                        setAllMatching(false);
                        setSelected(checked ? new Set(rows.map((row) => row.id)) : new Set());
                      }}
                    />
                  </th>
                  <th scope="col">Prospect</th>
                  <th scope="col">Sequence</th>
                  <th scope="col">State</th>
                  <th scope="col" className="table__number">
                    Step
                  </th>
                  <th scope="col">Mailbox</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const name = prospectName(row.prospect);
                  return (
                    <tr key={row.id} className={selected.has(row.id) ? "is-selected" : undefined}>
                      <td className="table__select">
                        <input
                          type="checkbox"
                          aria-label={`Select ${name || row.prospect.email} in ${row.sequence.name}`}
                          checked={selected.has(row.id)}
                          disabled={isChangingPage}
                          onChange={(event) => toggle(row.id, event.target.checked)}
                        />
                      </td>
                      <td>
                        {name !== "" && <span className="cell-primary">{name}</span>}
                        <span className={name !== "" ? "cell-secondary" : "cell-primary"}>
                          {row.prospect.email}
                        </span>
                      </td>
                      <td>{row.sequence.name}</td>
                      <td>
                        <span className={`pill pill--${row.state.toLowerCase()}`}>
                          {stateLabels[row.state]}
                        </span>
                        {row.stateReason !== null && row.stateReason !== "" && (
                          <span className="cell-secondary">{row.stateReason}</span>
                        )}
                      </td>
                      <td className="table__number">{row.currentStep}</td>
                      <td>{row.mailbox.address}</td>
                      <td className="table__nowrap">{row.user.name}</td>
                      <td className="table__nowrap">
                        <time dateTime={row.updatedAt}>
                          {formatDateTime(row.updatedAt, viewer.user.timeZone)}
                        </time>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <p className="pager__range" aria-live="polite">
              {isChangingPage
                ? "Loading…"
                : `Showing ${firstRow.toLocaleString()}–${lastRow.toLocaleString()} of ${connection.totalCount.toLocaleString()}`}
            </p>
            <div className="pager__buttons">
              <button
                type="button"
                className="button button--secondary"
                disabled={!canGoPrevious}
                onClick={() => goTo(cursors.slice(0, -1))}
              >
                Previous
              </button>
              <button
                type="button"
                className="button button--secondary"
                disabled={!canGoNext}
                onClick={() => goTo([...cursors, endCursor])}
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

import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { useGraphQLQuery } from "../api/query";
import { formatDateTime } from "../format";
import {
  SequenceStatesDocument,
  type SequenceStatesQuery,
  type SequenceStateState,
} from "../gql/graphql";
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
  const pageIndex = cursors.length - 1;
  const after = cursors[pageIndex] ?? null;

  const query = useGraphQLQuery(
    sequenceStatesQueryKey,
    SequenceStatesDocument,
    { first: pageSize, after },
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
    setCursors(next);
  };
  const endCursor = connection?.pageInfo.endCursor ?? null;
  const canGoNext =
    !isChangingPage && connection?.pageInfo.hasNextPage === true && endCursor !== null;
  const canGoPrevious = !isChangingPage && pageIndex > 0;

  const selectedOnPage = rows.filter((row) => selected.has(row.id)).length;
  const toggle = (id: string, checked: boolean) => {
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

      {query.isPending && <Loading label="Loading sequence states…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert
          title="Sequence states could not be loaded."
          error={query.error}
          onRetry={() => void query.refetch()}
        />
      )}
      {connection !== undefined && rows.length === 0 && pageIndex === 0 && (
        <div className="empty">
          <p className="empty__title">No sequence states yet</p>
          <p>Prospects appear here once they are enrolled in a sequence.</p>
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
              {selected.size > 0 && `${selected.size.toLocaleString()} selected`}
            </p>
          </div>
          <div className="table-wrap">
            <table className="table" aria-labelledby={headingID} aria-busy={isChangingPage}>
              <thead>
                <tr>
                  <th scope="col" className="table__select">
                    <SelectAllCheckbox
                      checked={selectedOnPage === rows.length}
                      indeterminate={selectedOnPage > 0 && selectedOnPage < rows.length}
                      disabled={isChangingPage}
                      onChange={(checked) =>
                        setSelected(checked ? new Set(rows.map((row) => row.id)) : new Set())
                      }
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

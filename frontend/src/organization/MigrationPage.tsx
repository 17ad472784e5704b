import { keepPreviousData, useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { executeGraphQL } from "../api/graphql";
import { useGraphQLQuery } from "../api/query";
import { useConfig } from "../config";
import { countNoun, formatDateTime } from "../format";
import {
  AssignMailboxDocument,
  MigrationOverviewDocument,
  NotifyMigrationUsersDocument,
  type MigrationOverviewQuery,
  type MigrationStep,
} from "../gql/graphql";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { AdminOnly } from "./AdminOnly";
import { migrationSteps, stepActors, stepLabels } from "./labels";
import { ProgressChart, type ProgressPoint } from "./ProgressChart";

export const migrationQueryKey = ["migration"] as const;
export const migrationPageSize = 25;

type MigrationUser = MigrationOverviewQuery["migration"]["users"]["nodes"][number];

/** Today's UTC date, as the server's snapshots name days. */
function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The stored snapshots, with today's live numbers as the last point. */
export function progressPoints(m: MigrationOverviewQuery["migration"], now = new Date()): ProgressPoint[] {
  const today = utcDay(now);
  const points = m.progress
    .filter((p) => p.day !== today)
    .map((p) => ({ day: p.day, usersToMigrate: p.usersToMigrate, heldEmails: p.heldEmails }));
  points.push({ day: today, usersToMigrate: m.usersToMigrate, heldEmails: m.heldEmailCount });
  return points;
}

/**
 * Assigns every sequence state of a user's EWS mailboxes, with their
 * undelivered emails, to the user's Graph mailbox: the article's last step,
 * through Assign Mailbox. Returns the emails moved.
 */
function useAssignHeld() {
  const { graphqlPath, csrfHeader } = useConfig();
  return async (user: MigrationUser): Promise<number> => {
    if (user.graphMailbox === null || user.graphMailbox === undefined) return 0;
    let moved = 0;
    for (const ews of user.ewsMailboxes) {
      const res = await executeGraphQL({ path: graphqlPath, csrfHeader }, AssignMailboxDocument, {
        input: {
          filter: { mailboxID: ews.id, hasUndeliveredEmails: true },
          mailboxID: user.graphMailbox.id,
          updateUndeliveredEmails: true,
        },
      });
      moved += res.assignMailbox.emailsMoved;
    }
    return moved;
  };
}

function Summary({ m, timeZone }: { m: MigrationOverviewQuery["migration"]; timeZone: string }) {
  return (
    <dl className="stats">
      <div className="stats__item">
        <dt>Users still to migrate</dt>
        <dd>
          {m.usersToMigrate.toLocaleString()}
          <span className="cell-secondary"> of {countNoun(m.usersOnEWS, "user")} on EWS</span>
        </dd>
      </div>
      <div className="stats__item">
        <dt>Mailboxes on EWS</dt>
        <dd>{m.mailboxesOnEWS.toLocaleString()}</dd>
      </div>
      <div className="stats__item">
        <dt>Scheduled emails held</dt>
        <dd>{m.heldEmailCount.toLocaleString()}</dd>
      </div>
      <div className="stats__item">
        <dt>Earliest held email due</dt>
        <dd>{m.earliestHeldDueAt != null ? formatDateTime(m.earliestHeldDueAt, timeZone) : "None held"}</dd>
      </div>
    </dl>
  );
}

function Migration() {
  usePageTitle("Migration to Microsoft Graph");
  const viewer = useViewer();
  const headingID = useId();
  const stepID = useId();
  const queryClient = useQueryClient();
  const { graphqlPath, csrfHeader } = useConfig();
  const [step, setStep] = useState<MigrationStep | null>(null);
  const [offset, setOffset] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const query = useGraphQLQuery(
    migrationQueryKey,
    MigrationOverviewDocument,
    { step, offset },
    { placeholderData: keepPreviousData },
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: migrationQueryKey });

  const notify = useMutation({
    mutationFn: () =>
      executeGraphQL({ path: graphqlPath, csrfHeader }, NotifyMigrationUsersDocument, { input: {} }),
    onSuccess: (data) => {
      const n = data.notifyMigrationUsers.notified;
      setMessage(
        n === 0
          ? "Everyone who still has to act already has a reminder waiting."
          : `Reminded ${countNoun(n, "user")}: they will see a banner on their next visit.`,
      );
      void refresh();
    },
  });

  const assignHeld = useAssignHeld();
  const assign = useMutation({
    mutationFn: async (users: readonly MigrationUser[]) => {
      let moved = 0;
      for (const user of users) moved += await assignHeld(user);
      return { users: users.length, moved };
    },
    onSuccess: ({ users, moved }) => {
      setMessage(`Assigned ${countNoun(moved, "held email")} of ${countNoun(users, "user")} to their Graph mailbox.`);
      void refresh();
    },
    onSettled: () => void refresh(),
  });
  const assignAll = useMutation({
    mutationFn: async () => {
      const ready: MigrationUser[] = [];
      for (let at = 0; ; at += migrationPageSize) {
        const page = await executeGraphQL({ path: graphqlPath, csrfHeader }, MigrationOverviewDocument, {
          step: "ASSIGN_SEQUENCE_STATES",
          offset: at,
        });
        ready.push(...page.migration.users.nodes);
        if (page.migration.users.nodes.length < migrationPageSize) break;
      }
      return ready;
    },
    onSuccess: (ready) => assign.mutate(ready),
  });
  const busy = assign.isPending || assignAll.isPending;

  const m = query.data?.migration;
  const rows = m?.users.nodes ?? [];
  return (
    <>
      <Breadcrumb trail={["Settings", "Organization", "Migration"]} />
      <PageHeading id={headingID}>Migration to Microsoft Graph</PageHeading>
      <p className="page-intro">
        Exchange Online blocks EWS: every user moves their mailbox to Office 365 OAuth. Only the user
        can connect their mailbox; you can remind those who still have to act, and assign their held
        scheduled emails once their new mailbox sends.
      </p>
      {query.isPending && <Loading label="Loading the migration…" />}
      {query.isError && !query.error.isUnauthenticated && (
        <ErrorAlert title="The migration could not be loaded." error={query.error} onRetry={() => void query.refetch()} />
      )}
      {m !== undefined && (
        <>
          <Summary m={m} timeZone={viewer.user.timeZone} />
          <section aria-labelledby="progress-heading" className="section">
            <h2 id="progress-heading" className="section__title">
              Progress over time
            </h2>
            <ProgressChart points={progressPoints(m)} />
          </section>
          <section aria-labelledby="users-heading" className="section">
            <h2 id="users-heading" className="section__title">
              Users and their next step
            </h2>
            <div className="table-toolbar">
              <div className="filters__field">
                <label htmlFor={stepID}>Next step</label>
                <select
                  id={stepID}
                  value={step ?? ""}
                  onChange={(event) => {
                    const next = migrationSteps.find((s) => s === event.target.value);
                    setStep(next ?? null);
                    setOffset(0);
                  }}
                >
                  <option value="">Any step</option>
                  {migrationSteps.map((s) => (
                    <option key={s} value={s}>
                      {stepLabels[s]}
                    </option>
                  ))}
                </select>
              </div>
              <button
                type="button"
                className="button button--primary"
                disabled={notify.isPending || m.usersToMigrate === 0}
                onClick={() => notify.mutate()}
              >
                Notify users who still have to act
              </button>
              <button
                type="button"
                className="button button--secondary"
                disabled={busy}
                onClick={() => assignAll.mutate()}
              >
                {busy ? "Assigning…" : "Assign all held emails of ready users"}
              </button>
            </div>
            <p aria-live="polite" className="status-line">
              {message}
            </p>
            {notify.isError && <ErrorAlert title="The users could not be reminded." error={notify.error} />}
            {(assign.isError || assignAll.isError) && (
              <ErrorAlert title="The held emails could not be assigned." error={assign.error ?? assignAll.error} />
            )}
            {rows.length === 0 ? (
              <div className="empty">
                <p className="empty__title">
                  {step === null ? "Nobody is on EWS" : "Nobody is at this step"}
                </p>
                <p>
                  {step === null
                    ? "Every mailbox of your organization connects through Microsoft Graph."
                    : "Choose another step to see more."}
                </p>
              </div>
            ) : (
              <>
                <div className="table-wrap" tabIndex={0}>
                  <table className="table" aria-labelledby="users-heading" aria-busy={query.isPlaceholderData}>
                    <thead>
                      <tr>
                        <th scope="col">User</th>
                        <th scope="col">Next step</th>
                        <th scope="col">Old mailbox (EWS)</th>
                        <th scope="col">New mailbox</th>
                        <th scope="col" className="table__number">
                          Held emails
                        </th>
                        <th scope="col">Reminded</th>
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((row) => (
                        <tr key={row.user.id}>
                          <td>
                            <span className="cell-primary">{row.user.name}</span>
                            <span className="cell-secondary">{row.user.email}</span>
                          </td>
                          <td>
                            <span className={`pill pill--step-${row.nextStep === "DONE" ? "done" : "todo"}`}>
                              {stepLabels[row.nextStep]}
                            </span>
                            {stepActors[row.nextStep] !== "" && (
                              <span className="cell-secondary">{stepActors[row.nextStep]}</span>
                            )}
                          </td>
                          <td>{row.ewsMailboxes.map((mb) => mb.address).join(", ")}</td>
                          <td>{row.graphMailbox?.address ?? "Not connected yet"}</td>
                          <td className="table__number">{row.heldEmailCount.toLocaleString()}</td>
                          <td className="table__nowrap">
                            {row.notifiedAt != null ? formatDateTime(row.notifiedAt, viewer.user.timeZone) : "Not yet"}
                          </td>
                          <td>
                            {row.nextStep === "ASSIGN_SEQUENCE_STATES" && (
                              <button
                                type="button"
                                className="button button--secondary"
                                disabled={busy}
                                aria-label={`Assign held emails of ${row.user.name}`}
                                onClick={() => assign.mutate([row])}
                              >
                                Assign held emails
                              </button>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <nav className="pager" aria-label="Pages">
                  <p className="pager__range">
                    Showing {(offset + 1).toLocaleString()}–{(offset + rows.length).toLocaleString()} of{" "}
                    {m.users.totalCount.toLocaleString()}
                  </p>
                  <div className="pager__buttons">
                    <button
                      type="button"
                      className="button button--secondary"
                      disabled={offset === 0}
                      onClick={() => setOffset(Math.max(0, offset - migrationPageSize))}
                    >
                      Previous
                    </button>
                    <button
                      type="button"
                      className="button button--secondary"
                      disabled={offset + rows.length >= m.users.totalCount}
                      onClick={() => setOffset(offset + migrationPageSize)}
                    >
                      Next
                    </button>
                  </div>
                </nav>
              </>
            )}
          </section>
        </>
      )}
    </>
  );
}

/** Settings > Organization > Migration (admins only). */
export function MigrationPage() {
  return (
    <AdminOnly page="Migration">
      <Migration />
    </AdminOnly>
  );
}

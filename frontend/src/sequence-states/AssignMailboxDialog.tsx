import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { errorMessages } from "../api/errors";
import { executeGraphQL } from "../api/graphql";
import { useGraphQLQuery } from "../api/query";
import { useConfig } from "../config";
import { countNoun } from "../format";
import {
  type AssignMailboxMutation,
  AssignMailboxDocument,
  AssignableMailboxesDocument,
  AssignmentProgressDocument,
  type AssignmentSkipReason,
  type SequenceStateFilterInput,
} from "../gql/graphql";

/** What the dialog assigns: the checked rows, or everything matching the filter. */
export type Selection =
  | { kind: "ids"; stateIDs: readonly string[] }
  | { kind: "filter"; filter: SequenceStateFilterInput; count: number };

export const yesLabel = "Yes, update the mailbox of any existing undelivered emails.";
export const noLabel = "No, only use the mailbox for emails scheduled from now on.";

const skipLabels: Record<AssignmentSkipReason, string> = {
  FINISHED: "finished or failed",
  ALREADY_ASSIGNED: "already on this mailbox",
  OTHER_OWNER: "owned by another user",
};

type Counts = Pick<
  AssignMailboxMutation["assignMailbox"],
  "statesAssigned" | "emailsMoved" | "emailsDelivering" | "skipped"
>;

function Summary({ counts, preview }: { counts: Counts; preview: boolean }) {
  const skipped = counts.skipped.filter((s) => s.count > 0);
  return (
    <ul className="assign-summary">
      <li>
        {countNoun(counts.statesAssigned, "sequence state")} {preview ? "will be" : ""} assigned
      </li>
      <li>
        {countNoun(counts.emailsMoved, "undelivered email")} {preview ? "will be" : ""} moved
      </li>
      {counts.emailsDelivering > 0 && (
        <li>{countNoun(counts.emailsDelivering, "email")} being sent now left as they are</li>
      )}
      {skipped.map((s) => (
        <li key={s.reason}>
          {countNoun(s.count, "sequence state")} skipped: {skipLabels[s.reason]}
        </li>
      ))}
    </ul>
  );
}

/** Keeps Tab and Shift+Tab inside the dialog. */
function trapFocus(event: KeyboardEvent<HTMLDivElement>, onClose: () => void) {
  if (event.key === "Escape") {
    event.preventDefault();
    onClose();
    return;
  }
  if (event.key !== "Tab") {
    return;
  }
  const focusable = Array.from(
    event.currentTarget.querySelectorAll<HTMLElement>(
      'button:not([disabled]), select:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])',
    ),
  );
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (first === undefined || last === undefined) {
    return;
  }
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * The Assign Mailbox dialog (Settings menu of Sequences States): From,
 * "Update existing undelivered emails?", a preview of the counts, Assign,
 * then a progress bar for background assignments and the result.
 */
export function AssignMailboxDialog({
  selection,
  onClose,
}: {
  selection: Selection;
  onClose: () => void;
}) {
  const titleID = useId();
  const fromID = useId();
  const reasonID = useId();
  const { graphqlPath, csrfHeader } = useConfig();
  const endpoint = { path: graphqlPath, csrfHeader };
  const queryClient = useQueryClient();
  const dialogRef = useRef<HTMLDivElement>(null);
  const [mailboxID, setMailboxID] = useState("");
  const [update, setUpdate] = useState(true);

  useEffect(() => {
    const previous = document.activeElement;
    dialogRef.current?.querySelector<HTMLElement>("select, button")?.focus();
    return () => {
      if (previous instanceof HTMLElement) {
        previous.focus();
      }
    };
  }, []);

  const mailboxes = useGraphQLQuery(["assignableMailboxes"], AssignableMailboxesDocument, {});
  const options = mailboxes.data?.assignableMailboxes ?? [];
  const chosen = options.find((o) => o.mailbox.id === mailboxID);

  const input = {
    ...(selection.kind === "ids"
      ? { stateIDs: [...selection.stateIDs] }
      : { filter: selection.filter }),
    mailboxID,
    updateUndeliveredEmails: update,
  };
  const preview = useGraphQLQuery(
    ["assignPreview", input],
    AssignMailboxDocument,
    { input: { ...input, dryRun: true } },
    { enabled: mailboxID !== "" && chosen?.eligible === true, staleTime: 0 },
  );
  const assign = useMutation({
    mutationFn: () => executeGraphQL(endpoint, AssignMailboxDocument, { input }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["sequenceStates"] });
    },
  });
  const result = assign.data?.assignMailbox;
  const assignmentID = result?.background === true ? result.assignment?.id : undefined;
  const progress = useGraphQLQuery(
    ["assignment", assignmentID],
    AssignmentProgressDocument,
    { id: assignmentID ?? "" },
    {
      enabled: assignmentID !== undefined,
      staleTime: 0,
      refetchInterval: (q) => (q.state.data?.assignment?.status === "RUNNING" ? 1000 : false),
    },
  );
  const op = progress.data?.assignment;
  useEffect(() => {
    if (op !== undefined && op !== null && op.status !== "RUNNING") {
      void queryClient.invalidateQueries({ queryKey: ["sequenceStates"] });
    }
  }, [op, queryClient]);

  const count = selection.kind === "ids" ? selection.stateIDs.length : selection.count;
  const done = result !== undefined && (!result.background || (op != null && op.status !== "RUNNING"));

  return (
    <div className="dialog-backdrop">
      <div
        ref={dialogRef}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleID}
        onKeyDown={(event) => trapFocus(event, onClose)}
      >
        <h2 id={titleID} className="dialog__title">
          Assign Mailbox
        </h2>
        <p>{countNoun(count, "sequence state")} selected.</p>
        {result === undefined && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              assign.mutate();
            }}
          >
            <label htmlFor={fromID} className="field__label">
              From
            </label>
            <select
              id={fromID}
              value={mailboxID}
              aria-describedby={chosen?.reason ? reasonID : undefined}
              onChange={(event) => setMailboxID(event.target.value)}
            >
              <option value="">Choose a mailbox</option>
              {options.map((o) => (
                <option key={o.mailbox.id} value={o.mailbox.id} disabled={!o.eligible}>
                  {o.mailbox.address} ({o.mailbox.user.name})
                  {o.eligible ? "" : ` — not available: ${o.reason ?? ""}`}
                </option>
              ))}
            </select>
            {options.some((o) => !o.eligible) && (
              <p className="field__hint">
                Only mailboxes connected with Office 365 OAuth and with Sending on can be chosen.
              </p>
            )}
            <fieldset className="field">
              <legend className="field__label">Update existing undelivered emails?</legend>
              <label className="radio">
                <input
                  type="radio"
                  name="update"
                  checked={update}
                  onChange={() => setUpdate(true)}
                />
                {yesLabel}
              </label>
              <label className="radio">
                <input
                  type="radio"
                  name="update"
                  checked={!update}
                  onChange={() => setUpdate(false)}
                />
                {noLabel}
              </label>
            </fieldset>
            <div aria-live="polite" className="assign-preview">
              {preview.isFetching && <p>Counting…</p>}
              {preview.data !== undefined && !preview.isFetching && (
                <>
                  <p>Preview:</p>
                  <Summary counts={preview.data.assignMailbox} preview />
                  {preview.data.assignMailbox.statesSelected > 5000 && (
                    <p>This large selection is assigned in the background; you can follow its progress here.</p>
                  )}
                </>
              )}
              {preview.isError && (
                <p role="alert" className="error-text">
                  {errorMessages(preview.error).join(" ")}
                </p>
              )}
            </div>
            {assign.isError && (
              <p role="alert" className="error-text">
                {errorMessages(assign.error).join(" ")}
              </p>
            )}
            <div className="dialog__buttons">
              <button type="button" className="button button--secondary" onClick={onClose}>
                Cancel
              </button>
              <button
                type="submit"
                className="button"
                disabled={chosen?.eligible !== true || preview.isError || assign.isPending}
              >
                Assign
              </button>
            </div>
          </form>
        )}
        {result !== undefined && result.background && !done && (
          <div>
            <label htmlFor={`${titleID}-progress`}>Assigning in the background…</label>
            <progress
              id={`${titleID}-progress`}
              max={op?.total ?? result.statesSelected}
              value={op?.done ?? 0}
            />
            <p aria-live="polite">
              {(op?.done ?? 0).toLocaleString()} of {(op?.total ?? result.statesSelected).toLocaleString()} sequence
              states done
            </p>
          </div>
        )}
        {done && (
          <div role="status">
            {op?.status === "FAILED" ? (
              <p className="error-text">{op.error}</p>
            ) : (
              <p>Assignment complete.</p>
            )}
            <Summary counts={op ?? result} preview={false} />
            <div className="dialog__buttons">
              <button type="button" className="button" onClick={onClose}>
                Close
              </button>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}

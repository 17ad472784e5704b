import { configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { AssignableMailboxesQuery } from "../gql/graphql";
import { jsonResponse, operationName, operationVariables, stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import { AssignMailboxDialog, noLabel, yesLabel } from "./AssignMailboxDialog";

const mailboxes: AssignableMailboxesQuery = {
  assignableMailboxes: [
    {
      eligible: true,
      reason: null,
      mailbox: {
        id: "mbx_work",
        address: "john.work@acme.com",
        provider: "OFFICE365_OAUTH",
        connectionState: "CONNECTED",
        user: { id: "usr_john", name: "John Smith" },
      },
    },
    {
      eligible: false,
      reason: "john@acme.com uses legacy Exchange (EWS), which Exchange Online blocks.",
      mailbox: {
        id: "mbx_ews",
        address: "john@acme.com",
        provider: "EXCHANGE_EWS",
        connectionState: "CONNECTED",
        user: { id: "usr_john", name: "John Smith" },
      },
    },
  ],
};

const counts = {
  statesSelected: 3,
  statesAssigned: 2,
  emailsMoved: 5,
  emailsDelivering: 1,
  skipped: [{ reason: "FINISHED", count: 1 }],
};

function isDryRun(variables: unknown): boolean {
  return JSON.stringify(variables).includes('"dryRun":true');
}

/** Serves the dialog's operations; `background` makes Assign run as a job. */
function stubServer({ background }: { background: boolean }) {
  let progressCalls = 0;
  return stubFetch((request) => {
    switch (operationName(request)) {
      case "AssignableMailboxes":
        return jsonResponse({ data: mailboxes });
      case "AssignMailbox": {
        const dryRun = isDryRun(operationVariables(request));
        return jsonResponse({
          data: {
            assignMailbox: {
              dryRun,
              background: !dryRun && background,
              ...(dryRun || !background ? counts : { ...counts, statesAssigned: 0, emailsMoved: 0, emailsDelivering: 0, skipped: [] }),
              assignment: dryRun ? null : { id: "asg_1", status: background ? "RUNNING" : "SUCCEEDED", total: 3, done: background ? 0 : 3 },
            },
          },
        });
      }
      case "AssignmentProgress": {
        progressCalls += 1;
        const running = progressCalls === 1;
        return jsonResponse({
          data: {
            assignment: {
              id: "asg_1",
              status: running ? "RUNNING" : "SUCCEEDED",
              total: 3,
              done: running ? 1 : 3,
              statesAssigned: 2,
              emailsMoved: 5,
              emailsDelivering: 1,
              error: null,
              skipped: [{ reason: "FINISHED", count: 1 }],
            },
          },
        });
      }
      default:
        return jsonResponse({ data: null });
    }
  });
}

// The list renders 50 rows with filters; give slow (shared) machines time.
configure({ asyncUtilTimeout: 10_000 });

describe("AssignMailboxDialog", { timeout: 30_000 }, () => {
  it("offers only eligible mailboxes, previews the counts and assigns", async () => {
    const user = userEvent.setup();
    const sent = stubServer({ background: false });
    renderWithProviders(
      <AssignMailboxDialog selection={{ kind: "ids", stateIDs: ["ss_1", "ss_2", "ss_3"] }} onClose={vi.fn()} />,
    );
    const dialog = screen.getByRole("dialog", { name: "Assign Mailbox" });
    const from = within(dialog).getByLabelText("From");
    await within(dialog).findByRole("option", { name: /john\.work@acme\.com/ });
    const ews = within(dialog).getByRole("option", { name: /john@acme\.com/ });
    expect(ews).toBeDisabled();
    expect(ews).toHaveTextContent("legacy Exchange (EWS)");

    const group = within(dialog).getByRole("group", { name: "Update existing undelivered emails?" });
    expect(within(group).getByRole("radio", { name: yesLabel })).toBeChecked();
    expect(within(group).getByRole("radio", { name: noLabel })).not.toBeChecked();
    expect(within(dialog).getByRole("button", { name: "Assign" })).toBeDisabled();

    await user.selectOptions(from, "mbx_work");
    expect(await within(dialog).findByText("2 sequence states will be assigned")).toBeInTheDocument();
    expect(within(dialog).getByText("5 undelivered emails will be moved")).toBeInTheDocument();
    expect(within(dialog).getByText("1 email being sent now left as they are")).toBeInTheDocument();
    expect(within(dialog).getByText("1 sequence state skipped: finished or failed")).toBeInTheDocument();

    await user.click(within(dialog).getByRole("button", { name: "Assign" }));
    expect(await within(dialog).findByText("Assignment complete.")).toBeInTheDocument();
    expect(within(dialog).getByText("2 sequence states assigned")).toBeInTheDocument();

    const assign = sent.filter((r) => operationName(r) === "AssignMailbox" && !isDryRun(operationVariables(r)));
    expect(assign).toHaveLength(1);
    expect(operationVariables(assign[0]!)).toEqual({
      input: { stateIDs: ["ss_1", "ss_2", "ss_3"], mailboxID: "mbx_work", updateUndeliveredEmails: true },
    });
  });

  it("assigns everything matching the filter in the background with a progress bar", async () => {
    const user = userEvent.setup();
    const sent = stubServer({ background: true });
    renderWithProviders(
      <AssignMailboxDialog
        selection={{ kind: "filter", filter: { mailboxID: "mbx_ews" }, count: 80000 }}
        onClose={vi.fn()}
      />,
    );
    const dialog = screen.getByRole("dialog", { name: "Assign Mailbox" });
    expect(within(dialog).getByText("80,000 sequence states selected.")).toBeInTheDocument();
    await within(dialog).findByRole("option", { name: /john\.work@acme\.com/ });
    await user.selectOptions(within(dialog).getByLabelText("From"), "mbx_work");
    await user.click(within(dialog).getByRole("radio", { name: noLabel }));
    await waitFor(() => expect(within(dialog).getByRole("button", { name: "Assign" })).toBeEnabled());
    await user.click(within(dialog).getByRole("button", { name: "Assign" }));

    expect(await within(dialog).findByRole("progressbar")).toBeInTheDocument();
    expect(await within(dialog).findByText("Assignment complete.", {}, { timeout: 5000 })).toBeInTheDocument();
    expect(within(dialog).getByText("5 undelivered emails moved")).toBeInTheDocument();
    const assign = sent.find((r) => operationName(r) === "AssignMailbox" && !isDryRun(operationVariables(r)));
    expect(operationVariables(assign!)).toEqual({
      input: { filter: { mailboxID: "mbx_ews" }, mailboxID: "mbx_work", updateUndeliveredEmails: false },
    });
  });

  it("traps focus and closes on Escape", async () => {
    const user = userEvent.setup();
    stubServer({ background: false });
    const onClose = vi.fn();
    renderWithProviders(<AssignMailboxDialog selection={{ kind: "ids", stateIDs: ["ss_1"] }} onClose={onClose} />);
    const dialog = screen.getByRole("dialog", { name: "Assign Mailbox" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    const from = within(dialog).getByLabelText("From");
    await waitFor(() => expect(from).toHaveFocus());
    const cancel = within(dialog).getByRole("button", { name: "Cancel" });
    cancel.focus();
    await user.tab();
    expect(from).toHaveFocus();
    await user.tab({ shift: true });
    expect(cancel).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });
});

import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { MailboxConnectionState } from "../gql/graphql";
import { renderWithProviders } from "../test/render";
import { type Mailbox, MailboxRow } from "./MailboxRow";

function mailbox(overrides: Partial<Mailbox> = {}): Mailbox {
  return {
    id: "mbx_1",
    address: "john@acme.com",
    provider: "OFFICE365_OAUTH",
    connectionState: "CONNECTED",
    connectionError: null,
    syncEnabled: true,
    sendEnabled: true,
    isDefault: true,
    needsMigration: false,
    undeliveredEmailCount: 0,
    lastSyncedAt: "2026-03-02T14:05:00Z",
    lastSyncError: null,
    syncStage: "INCREMENTAL",
    syncProgressDone: 0,
    syncProgressTotal: null,
    sendStatus: "SENDING",
    sendStatusReason: null,
    lastSentAt: null,
    lastSendError: null,
    throttledUntil: null,
    ...overrides,
  };
}

function renderRow(m: Mailbox) {
  renderWithProviders(
    <ul>
      <MailboxRow mailbox={m} timeZone="America/New_York" />
    </ul>,
  );
  return screen.getByRole("article", { name: new RegExp(m.address) });
}

/** The <dd> that belongs to the <dt> with this label. */
function fact(row: HTMLElement, label: string): HTMLElement {
  const term = within(row).getByText(label, { selector: "dt" });
  const value = term.nextElementSibling;
  if (!(value instanceof HTMLElement)) {
    throw new Error(`no value for ${label}`);
  }
  return value;
}

describe("MailboxRow", () => {
  it.each<[MailboxConnectionState, string]>([
    ["CONNECTED", "Connected"],
    ["NOT_CONNECTED", "Not connected"],
    ["PENDING_ADMIN_APPROVAL", "Pending admin approval"],
    ["NEEDS_RECONNECT", "Needs reconnect"],
    ["ERROR", "Error"],
  ])("shows %s as %j", (connectionState, label) => {
    const row = renderRow(mailbox({ connectionState }));
    expect(fact(row, "Status")).toHaveTextContent(new RegExp(`^${label}`));
  });

  it("shows the reason next to Error", () => {
    const row = renderRow(
      mailbox({ connectionState: "ERROR", connectionError: "The mailbox was deleted in Microsoft 365." }),
    );
    expect(fact(row, "Status")).toHaveTextContent("ErrorThe mailbox was deleted in Microsoft 365.");
  });

  it("says so when an Error has no recorded reason", () => {
    const row = renderRow(mailbox({ connectionState: "ERROR", connectionError: null }));
    expect(fact(row, "Status")).toHaveTextContent("Mailbridge recorded no reason.");
  });

  it("tells the user what Needs reconnect and Pending admin approval mean", () => {
    const reconnect = renderRow(
      mailbox({ id: "a", address: "a@acme.com", connectionState: "NEEDS_RECONNECT", connectionError: "invalid_grant: token revoked" }),
    );
    expect(reconnect).toHaveTextContent(/revoked or expired/);
    expect(reconnect).toHaveTextContent("Microsoft said: invalid_grant: token revoked");

    const pending = renderRow(
      mailbox({ id: "b", address: "b@acme.com", connectionState: "PENDING_ADMIN_APPROVAL" }),
    );
    expect(pending).toHaveTextContent(/administrator of your Microsoft organization/);
  });

  it("labels providers, and mailboxes without one", () => {
    expect(fact(renderRow(mailbox({ id: "a", address: "a@acme.com" })), "Provider")).toHaveTextContent(
      "Office 365 OAuth",
    );
    expect(
      fact(renderRow(mailbox({ id: "b", address: "b@acme.com", provider: "EXCHANGE_EWS" })), "Provider"),
    ).toHaveTextContent("Exchange (EWS) — legacy");
    expect(
      fact(renderRow(mailbox({ id: "c", address: "c@acme.com", provider: null, connectionState: "NOT_CONNECTED" })), "Provider"),
    ).toHaveTextContent("Not set up");
  });

  it("marks the default mailbox only", () => {
    const primary = renderRow(mailbox({ id: "a", address: "john@acme.com", isDefault: true }));
    const alias = renderRow(mailbox({ id: "b", address: "john.work@acme.com", isDefault: false }));
    expect(within(primary).getByText("Default")).toBeInTheDocument();
    expect(within(alias).queryByText("Default")).not.toBeInTheDocument();
  });

  it("shows Syncing and Sending separately", () => {
    const row = renderRow(mailbox({ syncEnabled: false, sendEnabled: true }));
    expect(fact(row, "Syncing")).toHaveTextContent("Off");
    expect(fact(row, "Sending")).toHaveTextContent("On");
  });

  it("shows when the mailbox last synced, and the last sync error", () => {
    const row = renderRow(mailbox({ lastSyncError: "Microsoft is throttling this mailbox." }));
    expect(within(fact(row, "Last synced")).getByText(/2026/)).toHaveAttribute(
      "datetime",
      "2026-03-02T14:05:00Z",
    );
    expect(row).toHaveTextContent("Last sync failed: Microsoft is throttling this mailbox.");

    const never = renderRow(mailbox({ id: "n", address: "new@acme.com", lastSyncedAt: null }));
    expect(fact(never, "Last synced")).toHaveTextContent("Never");
  });

  it("flags legacy EWS mailboxes with the emails they hold", () => {
    const row = renderRow(
      mailbox({ provider: "EXCHANGE_EWS", needsMigration: true, undeliveredEmailCount: 42 }),
    );
    expect(row).toHaveTextContent(
      "Migrate to Office 365 OAuth: Exchange Online no longer accepts EWS",
    );
    expect(row).toHaveTextContent(/42 scheduled emails are held/);
    expect(fact(row, "Scheduled emails")).toHaveTextContent("42 waiting to send");
  });

  it("uses the singular for one held email, and says when none are held", () => {
    const one = renderRow(
      mailbox({ id: "a", address: "a@acme.com", provider: "EXCHANGE_EWS", needsMigration: true, undeliveredEmailCount: 1 }),
    );
    expect(one).toHaveTextContent(/1 scheduled email is held/);
    const none = renderRow(
      mailbox({ id: "b", address: "b@acme.com", provider: "EXCHANGE_EWS", needsMigration: true, undeliveredEmailCount: 0 }),
    );
    expect(none).toHaveTextContent("No scheduled emails are waiting on this mailbox.");
  });

  it("does not flag Office 365 OAuth mailboxes", () => {
    const row = renderRow(mailbox());
    expect(row).not.toHaveTextContent(/no longer accepts EWS/);
  });

  it("offers Edit when a provider is set and Set up account when none is", () => {
    const configured = renderRow(mailbox({ id: "a", address: "a@acme.com" }));
    expect(within(configured).getByRole("button", { name: "Edit" })).toBeInTheDocument();
    expect(within(configured).queryByRole("button", { name: "Set up account" })).toBeNull();

    const blank = renderRow(
      mailbox({ id: "b", address: "b@acme.com", provider: null, connectionState: "NOT_CONNECTED" }),
    );
    expect(within(blank).getByRole("button", { name: "Set up account" })).toBeInTheDocument();
    expect(within(blank).queryByRole("button", { name: "Edit" })).toBeNull();
  });

  it("opens the mailbox settings with the Email Provider drop-down", async () => {
    const user = userEvent.setup();
    const row = renderRow(mailbox({ provider: null, connectionState: "NOT_CONNECTED" }));
    const button = within(row).getByRole("button", { name: "Set up account" });
    expect(button).toHaveAttribute("aria-expanded", "false");

    await user.click(button);

    expect(button).toHaveAttribute("aria-expanded", "true");
    const panel = within(row).getByRole("region", { name: "Set up account: john@acme.com" });
    expect(button).toHaveAttribute("aria-controls", panel.id);
    const select = within(panel).getByRole("combobox", { name: "Email Provider" });
    expect(select).toHaveValue("OFFICE365_OAUTH");
    expect(within(panel).getByRole("button", { name: "Connect with Office 365" })).toBeInTheDocument();
    expect(within(panel).getByRole("heading")).toHaveFocus();
  });

  it("closes the panel with Escape or Close and returns focus to the button", async () => {
    const user = userEvent.setup();
    const row = renderRow(mailbox());
    const button = within(row).getByRole("button", { name: "Edit" });

    await user.click(button);
    expect(within(row).getByRole("region", { name: "Edit: john@acme.com" })).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(within(row).queryByRole("region")).toBeNull();
    expect(button).toHaveFocus();

    await user.keyboard("{Enter}");
    await user.click(within(row).getByRole("button", { name: "Close" }));
    expect(within(row).queryByRole("region")).toBeNull();
    expect(button).toHaveFocus();
  });
});

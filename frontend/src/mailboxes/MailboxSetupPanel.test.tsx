import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { describe, expect, it, vi } from "vitest";
import { graphqlError, jsonResponse, operationName, operationVariables, stubFetch } from "../test/fetch";
import { renderWithProviders } from "../test/render";
import type { Mailbox } from "./MailboxRow";
import { MailboxSetupPanel } from "./MailboxSetupPanel";

function mailbox(overrides: Partial<Mailbox> = {}): Mailbox {
  return {
    id: "8589934593",
    address: "john@acme.com",
    provider: null,
    connectionState: "NOT_CONNECTED",
    connectionError: null,
    syncEnabled: false,
    sendEnabled: false,
    isDefault: true,
    needsMigration: false,
    undeliveredEmailCount: 0,
    lastSyncedAt: null,
    lastSyncError: null,
    syncStage: "INCREMENTAL",
    syncProgressDone: 0,
    syncProgressTotal: null,
    sendStatus: "HELD",
    sendStatusReason: null,
    lastSentAt: null,
    lastSendError: null,
    throttledUntil: null,
    ...overrides,
  };
}

function renderPanel(m: Mailbox, navigate = vi.fn(), extra: Partial<ComponentProps<typeof MailboxSetupPanel>> = {}) {
  renderWithProviders(
    <MailboxSetupPanel
      id="p"
      mailbox={m}
      title={`Edit: ${m.address}`}
      onClose={() => {}}
      navigate={navigate}
      {...extra}
    />,
  );
  return { panel: screen.getByRole("region", { name: `Edit: ${m.address}` }), navigate };
}

describe("MailboxSetupPanel", () => {
  it("offers Office 365 OAuth (recommended) and marks EWS as blocked by Microsoft", () => {
    const { panel } = renderPanel(mailbox());
    const select = within(panel).getByRole("combobox", { name: "Email Provider" });
    const options = within(select).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual([
      "Office 365 OAuth (recommended)",
      "Exchange (EWS) — blocked by Microsoft",
    ]);
    expect(options[1]).toBeDisabled();
    expect(panel).toHaveTextContent(/turning off Exchange Web Services/);
    expect(panel).toHaveTextContent("Status: Not connected");
  });

  it("Connect with Office 365 asks the server for Microsoft's URL and goes there", async () => {
    const user = userEvent.setup();
    const sent = stubFetch((request) => {
      expect(operationName(request)).toBe("ConnectOffice365");
      return jsonResponse({
        data: { connectOffice365: { authorizationURL: "https://login.example/authorize?x=1" } },
      });
    });
    const { panel, navigate } = renderPanel(mailbox());

    await user.click(within(panel).getByRole("button", { name: "Connect with Office 365" }));

    await waitFor(() => expect(navigate).toHaveBeenCalledWith("https://login.example/authorize?x=1"));
    expect(operationVariables(sent[0]!)).toEqual({ input: { mailboxID: "8589934593" } });
  });

  it("shows the server's words when connecting cannot start", async () => {
    const user = userEvent.setup();
    stubFetch(() => graphqlError("Only the mailbox's owner can connect it.", "FORBIDDEN"));
    const { panel, navigate } = renderPanel(mailbox());

    await user.click(within(panel).getByRole("button", { name: "Connect with Office 365" }));

    expect(await within(panel).findByRole("alert")).toHaveTextContent("Only the mailbox's owner can connect it.");
    expect(navigate).not.toHaveBeenCalled();
  });

  it("says Reconnect when Microsoft revoked access, with the reason", () => {
    const { panel } = renderPanel(
      mailbox({ provider: "OFFICE365_OAUTH", connectionState: "NEEDS_RECONNECT", connectionError: "The grant was revoked." }),
    );
    expect(within(panel).getByRole("button", { name: "Reconnect" })).toBeInTheDocument();
    expect(panel).toHaveTextContent("Status: Needs reconnect — The grant was revoked.");
  });

  it("shows the migration notes on a legacy EWS mailbox", () => {
    const { panel } = renderPanel(mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" }));
    expect(panel).toHaveTextContent(/before or after work hours/);
    expect(panel).toHaveTextContent(/Outlook add-in/);
  });

  it("shows the user's local time and warns during work hours on weekdays", () => {
    // Monday 2026-11-30 13:30 UTC is 14:30 in Berlin: within work hours.
    const ews = mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" });
    const { panel } = renderPanel(ews, vi.fn(), {
      timeZone: "Europe/Berlin",
      now: () => new Date("2026-11-30T13:30:00Z"),
    });
    const note = within(panel).getByTestId("work-hours-note");
    expect(note).toHaveTextContent("Your local time is Monday 14:30 (Europe/Berlin).");
    expect(note).toHaveTextContent(/within work hours/);
  });

  it("says outside work hours in the evening and at weekends, in the user's zone", () => {
    const ews = mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" });
    // 13:30 UTC on Monday is 05:30 in Los Angeles.
    const first = renderPanel(ews, vi.fn(), {
      timeZone: "America/Los_Angeles",
      now: () => new Date("2026-11-30T13:30:00Z"),
    });
    expect(within(first.panel).getByTestId("work-hours-note")).toHaveTextContent(
      "Your local time is Monday 05:30 (America/Los_Angeles). That is outside work hours",
    );

  });

  it("says outside work hours on a Saturday afternoon", () => {
    const ews = mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" });
    const { panel } = renderPanel(ews, vi.fn(), { timeZone: "UTC", now: () => new Date("2026-11-28T14:00:00Z") });
    const note = within(panel).getByTestId("work-hours-note");
    expect(note).toHaveTextContent("Saturday 14:00");
    expect(note).toHaveTextContent(/outside work hours/);
  });

  it("does not show the work-hours note on a mailbox that is not on EWS", () => {
    const { panel } = renderPanel(mailbox(), vi.fn(), { now: () => new Date("2026-11-30T10:00:00Z") });
    expect(within(panel).queryByTestId("work-hours-note")).toBeNull();
    expect(panel).not.toHaveTextContent(/before or after work hours/);
  });

  it("warns when the Outlook add-in is below the minimum version, and still offers Connect", () => {
    const { panel } = renderPanel(mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" }), vi.fn(), {
      addin: { version: "2.0.9", minVersion: "2.1" },
    });
    const warning = within(panel).getByRole("note", { name: "Outlook add-in" });
    expect(warning).toHaveTextContent("Your Outlook add-in is version 2.0.9; mailboxes on Microsoft Graph need version 2.1 or later.");
    expect(within(panel).getByRole("button", { name: "Connect with Office 365" })).toBeEnabled();
  });

  it("does not warn when the add-in meets the minimum, or has not reported, or there is no minimum", () => {
    for (const addin of [
      { version: "2.10", minVersion: "2.1" },
      { version: "2.1.0", minVersion: "2.1" },
      { version: null, minVersion: "2.1" },
      { version: "0.1", minVersion: null },
    ]) {
      const { panel } = renderPanel(mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" }), vi.fn(), { addin });
      expect(within(panel).queryByTestId("addin-warning"), JSON.stringify(addin)).toBeNull();
      cleanup();
    }
  });

  it("names the minimum add-in version in the migration note", () => {
    const { panel } = renderPanel(mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" }), vi.fn(), {
      addin: { version: null, minVersion: "2.1" },
    });
    expect(panel).toHaveTextContent("If you use the Outlook add-in, upgrade it to version 2.1 or later first.");
  });

  it("saves the Syncing and Sending toggles of a connected mailbox", async () => {
    const user = userEvent.setup();
    const sent = stubFetch((request) => {
      const name = operationName(request);
      if (name === "SetSync") {
        return jsonResponse({ data: { setSync: { mailbox: { id: "8589934593", syncEnabled: true } } } });
      }
      if (name === "SetSend") {
        return jsonResponse({ data: { setSend: { mailbox: { id: "8589934593", sendEnabled: true } } } });
      }
      return jsonResponse({ data: null });
    });
    const { panel } = renderPanel(mailbox({ provider: "OFFICE365_OAUTH", connectionState: "CONNECTED" }));
    const save = within(panel).getByRole("button", { name: "Save" });
    expect(save).toBeDisabled();

    await user.click(within(panel).getByRole("switch", { name: "Syncing" }));
    await user.click(within(panel).getByRole("switch", { name: "Sending" }));
    await user.click(save);

    expect(await within(panel).findByRole("status")).toHaveTextContent("Mailbox settings saved.");
    const names = sent.map(operationName).filter((n) => n === "SetSync" || n === "SetSend");
    expect(names).toEqual(["SetSync", "SetSend"]);
    expect(operationVariables(sent[0]!)).toEqual({ input: { mailboxID: "8589934593", enabled: true } });
  });

  it("cannot turn on Syncing or Sending before the mailbox is connected", () => {
    const { panel } = renderPanel(mailbox());
    expect(within(panel).getByRole("switch", { name: "Syncing" })).toBeDisabled();
    expect(within(panel).getByRole("switch", { name: "Sending" })).toBeDisabled();
    expect(panel).toHaveTextContent("Connect the mailbox to turn on Syncing and Sending.");
  });
});

describe("MailboxSetupPanel Disconnect", () => {
  it("disconnects an Office 365 mailbox and says its emails are held", async () => {
    const user = userEvent.setup();
    const sent = stubFetch((request) => {
      if (operationName(request) === "DisconnectOffice365") {
        return jsonResponse({
          data: { disconnectOffice365: { mailbox: { id: "8589934593", connectionState: "NOT_CONNECTED" } } },
        });
      }
      return jsonResponse({ data: null });
    });
    const { panel } = renderPanel(mailbox({ provider: "OFFICE365_OAUTH", connectionState: "CONNECTED" }));

    await user.click(within(panel).getByRole("button", { name: "Disconnect" }));

    expect(await within(panel).findByRole("status")).toHaveTextContent(
      "john@acme.com is disconnected. Its scheduled emails are held",
    );
    expect(operationVariables(sent.find((r) => operationName(r) === "DisconnectOffice365")!)).toEqual({
      input: { mailboxID: "8589934593" },
    });
  });

  it("offers no Disconnect for a mailbox that is not connected with Office 365", () => {
    const { panel } = renderPanel(mailbox({ provider: "EXCHANGE_EWS", connectionState: "CONNECTED" }));
    expect(within(panel).queryByRole("button", { name: "Disconnect" })).toBeNull();
  });
});

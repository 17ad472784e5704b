import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
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
    ...overrides,
  };
}

function renderPanel(m: Mailbox, navigate = vi.fn()) {
  renderWithProviders(
    <MailboxSetupPanel id="p" mailbox={m} title={`Edit: ${m.address}`} onClose={() => {}} navigate={navigate} />,
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

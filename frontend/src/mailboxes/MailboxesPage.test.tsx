import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { MailboxesQuery } from "../gql/graphql";
import { jsonResponse, operationName, stubFetch } from "../test/fetch";
import { mailboxesData, viewerData } from "../test/fixtures";
import { renderApp, renderWithProviders } from "../test/render";
import { AdminConsent } from "./AdminConsent";

function serve(mailboxes: MailboxesQuery = mailboxesData) {
  stubFetch((request) =>
    jsonResponse({ data: operationName(request) === "Viewer" ? viewerData : mailboxes }),
  );
}

describe("MailboxesPage after Connect with Office 365", () => {
  it.each([
    ["connected", "ada.work@acme.com is Connected. Enable Syncing and Sending"],
    ["declined", "You declined the permissions Mailbridge needs, so ada.work@acme.com is Not connected."],
    ["pending", "ada.work@acme.com is Pending admin approval"],
    ["taken", "already connected by another Mailbridge user"],
  ])("explains the %s outcome", async (outcome, words) => {
    serve();
    renderApp(`/settings/mailboxes?connect=${outcome}&mailbox=mbx_2`);
    expect(await screen.findByTestId("connect-outcome")).toHaveTextContent(words);
  });

  it("names both accounts when the signed-in account does not own the mailbox", async () => {
    serve();
    renderApp("/settings/mailboxes?connect=mismatch&mailbox=mbx_2&signedInAs=ada%40acme.com");
    expect(await screen.findByTestId("connect-outcome")).toHaveTextContent(
      "You signed in as ada@acme.com, which does not own ada.work@acme.com. Nothing was changed.",
    );
  });

  it("shows the reason Mailbridge recorded for an Error", async () => {
    const data: MailboxesQuery = {
      viewer: {
        ...mailboxesData.viewer,
        mailboxes: mailboxesData.viewer.mailboxes.map((m) =>
          m.id === "mbx_2"
            ? { ...m, connectionState: "ERROR", connectionError: "Your Microsoft account is disabled. Microsoft error code: AADSTS50057." }
            : m,
        ),
      },
    };
    serve(data);
    renderApp("/settings/mailboxes?connect=error&mailbox=mbx_2");
    const banner = await screen.findByTestId("connect-outcome");
    expect(banner).toHaveTextContent("Mailbridge could not connect ada.work@acme.com: Your Microsoft account is disabled.");
    expect(banner).toHaveRole("alert");
  });

  it("dismisses the outcome", async () => {
    const user = userEvent.setup();
    serve();
    renderApp("/settings/mailboxes?connect=connected&mailbox=mbx_2");
    const banner = await screen.findByTestId("connect-outcome");
    await user.click(within(banner).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("connect-outcome")).toBeNull();
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/settings\/mailboxes$/);
  });

  it("ignores unknown outcomes", async () => {
    serve();
    renderApp("/settings/mailboxes?connect=<script>&mailbox=mbx_2");
    expect(await screen.findByRole("list", { name: "Mailboxes" })).toBeInTheDocument();
    expect(screen.queryByTestId("connect-outcome")).toBeNull();
  });
});

describe("MailboxesPage admin consent", () => {
  it("offers admins to approve Mailbridge and goes to Microsoft", async () => {
    const user = userEvent.setup();
    const navigate = vi.fn();
    stubFetch((request) =>
      jsonResponse({
        data:
          operationName(request) === "AdminConsentOffice365"
            ? { adminConsentOffice365: { adminConsentURL: "https://login.example/adminconsent" } }
            : operationName(request) === "Viewer"
              ? viewerData
              : mailboxesData,
      }),
    );
    renderWithProviders(<AdminConsent navigate={navigate} />);
    await user.click(screen.getByRole("button", { name: "Approve Mailbridge for your organization" }));
    await waitFor(() => expect(navigate).toHaveBeenCalledWith("https://login.example/adminconsent"));
  });

  it("explains the admin consent outcome", async () => {
    serve();
    renderApp("/settings/mailboxes?adminConsent=granted");
    expect(await screen.findByTestId("admin-consent-outcome")).toHaveTextContent(
      "Mailbridge is approved for your Microsoft organization.",
    );
  });
});

describe("MailboxesPage Outlook add-in version", () => {
  it("passes the viewer's reported add-in version and the minimum to the setup panel", async () => {
    const user = userEvent.setup();
    serve({
      viewer: {
        ...mailboxesData.viewer,
        outlookAddinMinVersion: "2.1",
        user: { id: "usr_ada", outlookAddinVersion: "1.9" },
      },
    });
    renderApp("/settings/mailboxes");
    const ews = await screen.findByRole("article", { name: /^ada@acme\.com/ });
    await user.click(within(ews).getByRole("button", { name: "Edit" }));
    expect(await screen.findByTestId("addin-warning")).toHaveTextContent(
      "Your Outlook add-in is version 1.9; mailboxes on Microsoft Graph need version 2.1 or later.",
    );
  });
});

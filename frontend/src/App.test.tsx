import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { graphqlError, jsonResponse, operationName, stubFetch } from "./test/fetch";
import { mailboxesData, sequenceStatesPage, viewerData } from "./test/fixtures";
import { renderApp } from "./test/render";

function location() {
  return screen.getByTestId("location");
}

describe("App", () => {
  it("redirects / to Settings > You > Mailboxes inside the signed-in shell", async () => {
    stubFetch((request) =>
      jsonResponse({ data: operationName(request) === "Viewer" ? viewerData : mailboxesData }),
    );
    renderApp("/");

    expect(location()).toHaveTextContent(/^\/settings\/mailboxes$/);
    expect(await screen.findByRole("heading", { level: 1, name: "Mailboxes" })).toBeInTheDocument();

    const breadcrumb = screen.getByRole("navigation", { name: "Breadcrumb" });
    expect(breadcrumb.textContent).toBe("Settings > You > Mailboxes");

    const banner = screen.getByRole("banner");
    expect(banner).toHaveTextContent("Mailbridge");
    expect(banner).toHaveTextContent("Acme Corp");
    expect(banner).toHaveTextContent("Ada Admin");
    expect(banner).toHaveTextContent("ada@acme.com");
    expect(within(banner).getByRole("button", { name: "Sign out" })).toBeInTheDocument();

    const nav = screen.getByRole("navigation", { name: "Settings" });
    expect(within(nav).getByRole("link", { name: "Mailboxes" })).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByRole("link", { name: "Sequences States" })).toHaveAttribute(
      "href",
      "/settings/sequence-states",
    );
    expect(within(nav).getByText("You")).toBeInTheDocument();
    expect(within(nav).getByText("System Activity")).toBeInTheDocument();

    const list = await screen.findByRole("list", { name: "Mailboxes" });
    expect(within(list).getAllByRole("heading", { level: 2 }).map((h) => h.textContent)).toEqual([
      "ada@acme.comDefault",
      "ada.work@acme.com",
    ]);
    expect(document.title).toBe("Mailboxes · Mailbridge");
  });

  it("sends a signed-out visitor to Sign in and remembers the page", async () => {
    stubFetch((request) =>
      request.url === "/auth/demo/users"
        ? jsonResponse([{ id: "u1", name: "Ada Admin", email: "ada@acme.com", role: "ADMIN" }])
        : graphqlError("Sign in to continue.", "UNAUTHENTICATED"),
    );
    renderApp("/settings/sequence-states");

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(location()).toHaveTextContent("/sign-in?next=%2Fsettings%2Fsequence-states");
    expect(await screen.findByRole("button", { name: "Sign in as Ada Admin" })).toBeInTheDocument();
  });

  it("sends the user to Sign in when the session ends on a page query", async () => {
    stubFetch((request) =>
      operationName(request) === "Viewer"
        ? jsonResponse({ data: viewerData })
        : request.url === "/auth/demo/users"
          ? jsonResponse([])
          : graphqlError("Your session expired.", "UNAUTHENTICATED"),
    );
    renderApp("/settings/mailboxes");

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(location()).toHaveTextContent(/^\/sign-in$/);
  });

  it("shows the server's message for other errors, and retries", async () => {
    const user = userEvent.setup();
    let mailboxCalls = 0;
    stubFetch((request) => {
      if (operationName(request) === "Viewer") {
        return jsonResponse({ data: viewerData });
      }
      mailboxCalls += 1;
      return mailboxCalls === 1
        ? graphqlError("You can't see this organization's mailboxes.", "FORBIDDEN")
        : jsonResponse({ data: mailboxesData });
    });
    renderApp("/settings/mailboxes");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Mailboxes could not be loaded.");
    expect(alert).toHaveTextContent("You can't see this organization's mailboxes.");
    expect(location()).toHaveTextContent(/^\/settings\/mailboxes$/);

    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("list", { name: "Mailboxes" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says so when the account cannot be loaded", async () => {
    stubFetch(() => graphqlError("Something broke on our side (ref 7f3a).", "INTERNAL"));
    renderApp("/settings/mailboxes");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Your account could not be loaded.");
    expect(alert).toHaveTextContent("Something broke on our side (ref 7f3a).");
  });

  it("shows loading, then an empty state without mailboxes", async () => {
    stubFetch((request) =>
      jsonResponse({
        data: operationName(request) === "Viewer" ? viewerData : { viewer: { mailboxes: [] } },
      }),
    );
    renderApp("/settings/mailboxes");

    expect(screen.getByRole("status")).toHaveTextContent("Loading your account…");
    expect(await screen.findByText("No mailboxes yet")).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Mailboxes" })).toBeNull();
  });

  it("signs out and returns to Sign in", async () => {
    const user = userEvent.setup();
    const sent = stubFetch((request) => {
      if (request.url === "/auth/signout") {
        return new Response(null, { status: 204 });
      }
      if (request.url === "/auth/demo/users") {
        return jsonResponse([]);
      }
      return jsonResponse({ data: operationName(request) === "Viewer" ? viewerData : mailboxesData });
    });
    renderApp("/settings/mailboxes");

    await user.click(await screen.findByRole("button", { name: "Sign out" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    const signOut = sent.find((r) => r.url === "/auth/signout");
    expect(signOut?.method).toBe("POST");
    expect(signOut?.headers.get("X-Mailbridge-CSRF")).toBe("1");
    expect(location()).toHaveTextContent(/^\/sign-in$/);
  });

  it("navigates to Sequences States from the Settings navigation", async () => {
    const user = userEvent.setup();
    stubFetch((request) => {
      switch (operationName(request)) {
        case "Viewer":
          return jsonResponse({ data: viewerData });
        case "Mailboxes":
          return jsonResponse({ data: mailboxesData });
        default:
          return jsonResponse({ data: sequenceStatesPage(1, 3, { totalCount: 3, hasNextPage: false }) });
      }
    });
    renderApp("/settings/mailboxes");

    await user.click(await screen.findByRole("link", { name: "Sequences States" }));

    expect(location()).toHaveTextContent(/^\/settings\/sequence-states$/);
    const heading = await screen.findByRole("heading", { level: 1, name: "Sequences States" });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(screen.getByRole("navigation", { name: "Breadcrumb" }).textContent).toBe(
      "Settings > System Activity > Sequences States",
    );
  });

  it("shows Page not found for unknown settings pages", async () => {
    stubFetch(() => jsonResponse({ data: viewerData }));
    renderApp("/settings/nope");
    expect(await screen.findByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
  });
});

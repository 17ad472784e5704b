import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { jsonResponse, stubFetch } from "../test/fetch";
import { productionConfig, renderWithProviders } from "../test/render";
import { SignInPage } from "./SignInPage";

const demoUsers = [
  { id: "usr_admin", name: "Ada Admin", email: "ada@acme.com", role: "ADMIN" },
  { id: "usr_john", name: "John Rep", email: "john@acme.com", role: "USER" },
];

describe("SignInPage", () => {
  it("lists the demo users with name, email and role", async () => {
    const sent = stubFetch(() => jsonResponse(demoUsers));
    renderWithProviders(<SignInPage />, { path: "/sign-in" });

    expect(screen.getByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    const list = await screen.findByRole("list", { name: "Demo users" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("Ada Admin");
    expect(items[0]).toHaveTextContent("ada@acme.com");
    expect(items[0]).toHaveTextContent("Admin");
    expect(items[1]).toHaveTextContent("John Rep");
    expect(items[1]).toHaveTextContent("john@acme.com");
    expect(items[1]).toHaveTextContent("User");
    expect(within(items[1]!).getByRole("button", { name: "Sign in as John Rep" })).toBeEnabled();

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ url: "/auth/demo/users", method: "GET", credentials: "same-origin" });
  });

  it("signs in as the chosen user and goes where the user was headed", async () => {
    const user = userEvent.setup();
    const sent = stubFetch((request) =>
      request.url === "/auth/demo/signin" ? new Response(null, { status: 204 }) : jsonResponse(demoUsers),
    );
    renderWithProviders(<SignInPage />, { path: "/sign-in?next=%2Fsettings%2Fsequence-states" });

    await user.click(await screen.findByRole("button", { name: "Sign in as John Rep" }));

    await screen.findByText("/settings/sequence-states");
    const signIn = sent.find((r) => r.url === "/auth/demo/signin");
    expect(signIn).toBeDefined();
    expect(signIn?.method).toBe("POST");
    expect(signIn?.credentials).toBe("same-origin");
    expect(signIn?.body).toEqual({ userID: "usr_john" });
    expect(signIn?.headers.get("Content-Type")).toBe("application/json");
    expect(signIn?.headers.get("X-Mailbridge-CSRF")).toBe("1");
  });

  it("ignores a return address that leaves the app", async () => {
    const user = userEvent.setup();
    stubFetch((request) =>
      request.url === "/auth/demo/signin" ? new Response(null, { status: 204 }) : jsonResponse(demoUsers),
    );
    renderWithProviders(<SignInPage />, { path: "/sign-in?next=%2F%2Fevil.example%2F" });

    await user.click(await screen.findByRole("button", { name: "Sign in as Ada Admin" }));

    expect(await screen.findByTestId("location")).toHaveTextContent(/^\/settings\/mailboxes$/);
  });

  it("shows the server's message when signing in fails", async () => {
    const user = userEvent.setup();
    stubFetch((request) =>
      request.url === "/auth/demo/signin"
        ? jsonResponse({ message: "Demo user usr_john was removed." }, 404)
        : jsonResponse(demoUsers),
    );
    renderWithProviders(<SignInPage />, { path: "/sign-in" });

    await user.click(await screen.findByRole("button", { name: "Sign in as John Rep" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not sign in as John Rep.");
    expect(alert).toHaveTextContent("Demo user usr_john was removed.");
    expect(screen.getByTestId("location")).toHaveTextContent("/sign-in");
  });

  it("shows why the demo users could not be loaded, and retries", async () => {
    const user = userEvent.setup();
    let calls = 0;
    stubFetch(() => {
      calls += 1;
      return calls === 1
        ? new Response("demo sign-in is disabled", { status: 403, headers: { "Content-Type": "text/plain" } })
        : jsonResponse(demoUsers);
    });
    renderWithProviders(<SignInPage />, { path: "/sign-in" });

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Demo users could not be loaded.");
    expect(alert).toHaveTextContent("demo sign-in is disabled");

    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("button", { name: "Sign in as Ada Admin" })).toBeInTheDocument();
  });

  it("says so when there are no demo users", async () => {
    stubFetch(() => jsonResponse([]));
    renderWithProviders(<SignInPage />, { path: "/sign-in" });
    expect(await screen.findByText("No demo users are set up on this server.")).toBeInTheDocument();
  });

  it("offers Microsoft sign-in outside demo mode", () => {
    const sent = stubFetch(() => jsonResponse([]));
    renderWithProviders(<SignInPage />, { path: "/sign-in", config: productionConfig });

    expect(screen.getByRole("link", { name: "Sign in with Microsoft" })).toHaveAttribute(
      "href",
      "/auth/microsoft/signin",
    );
    expect(screen.queryByRole("list", { name: "Demo users" })).toBeNull();
    expect(sent).toHaveLength(0);
  });
});

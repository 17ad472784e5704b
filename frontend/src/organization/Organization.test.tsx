import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { MigrationOverviewQuery, ViewerQuery } from "../gql/graphql";
import { graphqlError, jsonResponse, operationName, stubFetch } from "../test/fetch";
import { viewerData } from "../test/fixtures";
import { renderApp } from "../test/render";
import { progressPoints } from "./MigrationPage";

const userViewer: ViewerQuery = {
  viewer: {
    ...viewerData.viewer,
    isAdmin: false,
    notifications: [
      { id: "n1", kind: "MIGRATION", message: "Your admin asks you to finish moving your mailbox.", createdAt: "2026-11-29T10:00:00Z" },
    ],
  },
};

const migration: MigrationOverviewQuery = {
  migration: {
    usersOnEWS: 2,
    usersToMigrate: 1,
    mailboxesOnEWS: 2,
    heldEmailCount: 5,
    earliestHeldDueAt: "2026-12-01T09:00:00Z",
    progress: [{ day: "2026-11-28", usersToMigrate: 2, mailboxesOnEws: 2, heldEmails: 5 }],
    users: {
      totalCount: 1,
      nodes: [
        {
          nextStep: "ASSIGN_SEQUENCE_STATES",
          heldEmailCount: 5,
          notifiedAt: null,
          user: { id: "u1", name: "John Smith", email: "john@acme.com" },
          ewsMailboxes: [{ id: "m1", address: "john@acme.com" }],
          graphMailbox: { id: "m2", address: "john.work@acme.com" },
        },
      ],
    },
  },
};

describe("Settings > Organization", () => {
  it("shows the Organization entries to admins only", async () => {
    stubFetch((request) => jsonResponse({ data: operationName(request) === "Viewer" ? userViewer : { viewer: { mailboxes: [] } } }));
    renderApp("/settings/sequence-states");
    const nav = await screen.findByRole("navigation", { name: "Settings" });
    expect(await within(nav).findByRole("link", { name: "Sequences States" })).toBeInTheDocument();
    expect(within(nav).queryByText("Organization")).not.toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Migration" })).not.toBeInTheDocument();
  });

  it("tells a user who opens an admin page by its address that it is for admins", async () => {
    stubFetch((request) =>
      operationName(request) === "Viewer"
        ? jsonResponse({ data: userViewer })
        : graphqlError("Only admins of your organization can see this.", "FORBIDDEN"),
    );
    renderApp("/settings/organization/migration");
    expect(await screen.findByText("Only admins of your organization can see this page.")).toBeInTheDocument();
  });

  it("shows the admin's reminder as a banner the user can dismiss", async () => {
    const sent = stubFetch((request) =>
      jsonResponse({
        data:
          operationName(request) === "Viewer"
            ? userViewer
            : operationName(request) === "DismissNotification"
              ? { dismissNotification: { notification: { id: "n1" } } }
              : { viewer: { mailboxes: [] } },
      }),
    );
    renderApp("/settings/sequence-states");
    const notes = await screen.findByRole("region", { name: "Notifications" });
    expect(notes).toHaveTextContent("finish moving your mailbox");
    await userEvent.click(within(notes).getByRole("button", { name: "Dismiss" }));
    expect(sent.some((r) => operationName(r) === "DismissNotification")).toBe(true);
  });

  it("shows the migration dashboard: counts, chart, next step and bulk actions", async () => {
    stubFetch((request) => jsonResponse({ data: operationName(request) === "Viewer" ? viewerData : migration }));
    renderApp("/settings/organization/migration");
    expect(await screen.findByRole("heading", { level: 1, name: "Migration to Microsoft Graph" })).toBeInTheDocument();
    expect(await screen.findByText("Scheduled emails held")).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Users and their next step" });
    expect(table).toHaveTextContent("Assign the sequence states");
    expect(within(table).getByRole("button", { name: "Assign held emails of John Smith" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Notify users who still have to act" })).toBeEnabled();
    expect(screen.getByRole("img", { name: /Users still to migrate, from 2/ })).toBeInTheDocument();
  });

  it("ends the progress with today's live numbers", () => {
    const points = progressPoints(migration.migration, new Date("2026-11-29T12:00:00Z"));
    expect(points.map((p) => [p.day, p.usersToMigrate])).toEqual([
      ["2026-11-28", 2],
      ["2026-11-29", 1],
    ]);
  });
});

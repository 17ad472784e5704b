import { configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { graphqlError, jsonResponse, operationName, operationVariables, stubFetch } from "../test/fetch";
import { sequenceStatesPage, viewerData } from "../test/fixtures";
import { renderApp } from "../test/render";

/** Serves 120 sequence states, 50 a page, keyed by the `after` cursor. */
function stubPagedServer() {
  return stubFetch((request) => {
    if (operationName(request) === "Viewer") {
      return jsonResponse({ data: viewerData });
    }
    const variables = operationVariables(request);
    const after =
      typeof variables === "object" && variables !== null && "after" in variables
        ? variables.after
        : null;
    const page =
      after === "cursor-50"
        ? sequenceStatesPage(51, 50, { totalCount: 120, hasNextPage: true })
        : after === "cursor-100"
          ? sequenceStatesPage(101, 20, { totalCount: 120, hasNextPage: false })
          : sequenceStatesPage(1, 50, { totalCount: 120, hasNextPage: true });
    return jsonResponse({ data: page });
  });
}

/** Serves the viewer and an empty list of sequence states. */
function stubEmptyServer() {
  return stubFetch((request) =>
    jsonResponse({
      data:
        operationName(request) === "Viewer"
          ? viewerData
          : { sequenceStates: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } },
    }),
  );
}

function bodyRows(): HTMLElement[] {
  const table = screen.getByRole("table", { name: "Sequences States" });
  return within(table).getAllByRole("row").slice(1);
}

// The list renders 50 rows with filters; give slow (shared) machines time.
configure({ asyncUtilTimeout: 10_000 });

describe("SequenceStatesPage", { timeout: 30_000 }, () => {
  it("lists the newest sequence states with the total count", async () => {
    const sent = stubPagedServer();
    renderApp("/settings/sequence-states");

    expect(await screen.findByText("120 sequence states")).toBeInTheDocument();
    expect(screen.getByText("Showing 1–50 of 120")).toBeInTheDocument();
    const rows = bodyRows();
    expect(rows).toHaveLength(50);
    const first = rows[0]!;
    expect(first).toHaveTextContent("Pat Number1");
    expect(first).toHaveTextContent("prospect1@example.com");
    expect(first).toHaveTextContent("Q2 outreach");
    expect(first).toHaveTextContent("Finished");
    expect(first).toHaveTextContent("Replied");
    expect(first).toHaveTextContent("ada@acme.com");
    expect(first).toHaveTextContent("Ada Admin");
    expect(within(first).getByText(/2026/)).toHaveAttribute("datetime", "2026-03-02T14:05:00Z");
    expect(rows[1]).toHaveTextContent("Active");

    const query = sent.find((r) => operationName(r) === "SequenceStates");
    expect(operationVariables(query!)).toEqual({ first: 50, after: null, filter: {} });
    expect(JSON.stringify(query?.body)).toContain("orderBy: {field: CREATED_AT, direction: DESC}");
  });

  it("pages forward with the end cursor and back again", async () => {
    const user = userEvent.setup();
    const sent = stubPagedServer();
    renderApp("/settings/sequence-states");

    const previous = await screen.findByRole("button", { name: "Previous" });
    const next = screen.getByRole("button", { name: "Next" });
    expect(previous).toBeDisabled();

    await user.click(next);
    expect(await screen.findByText("Showing 51–100 of 120")).toBeInTheDocument();
    expect(bodyRows()[0]).toHaveTextContent("prospect51@example.com");

    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByText("Showing 101–120 of 120")).toBeInTheDocument();
    expect(bodyRows()).toHaveLength(20);
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Previous" }));
    expect(await screen.findByText("Showing 51–100 of 120")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Previous" }));
    expect(await screen.findByText("Showing 1–50 of 120")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();

    const afters = sent
      .filter((r) => operationName(r) === "SequenceStates")
      .map((r) => {
        const v = operationVariables(r);
        return typeof v === "object" && v !== null && "after" in v ? v.after : undefined;
      });
    expect(afters.slice(0, 3)).toEqual([null, "cursor-50", "cursor-100"]);
  });

  it("selects all rows on the page, and clears the selection on paging", async () => {
    const user = userEvent.setup();
    stubPagedServer();
    renderApp("/settings/sequence-states");

    const selectAll = await screen.findByRole("checkbox", {
      name: "Select all sequence states on this page",
    });
    await user.click(within(bodyRows()[0]!).getByRole("checkbox"));
    expect(screen.getByText("1 selected")).toBeInTheDocument();
    expect(selectAll).toHaveProperty("indeterminate", true);
    expect(selectAll).not.toBeChecked();

    await user.click(selectAll);
    expect(screen.getByText("50 selected")).toBeInTheDocument();
    expect(selectAll).toBeChecked();
    expect(selectAll).toHaveProperty("indeterminate", false);
    for (const row of bodyRows()) {
      expect(within(row).getByRole("checkbox")).toBeChecked();
    }

    await user.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByText("Showing 51–100 of 120");
    expect(screen.queryByText(/selected$/)).toBeNull();
    expect(screen.getByRole("checkbox", { name: "Select all sequence states on this page" })).not.toBeChecked();
  });

  it("selects all N matching and opens Assign Mailbox from the Settings menu", async () => {
    const user = userEvent.setup();
    stubPagedServer();
    renderApp("/settings/sequence-states");
    await screen.findByText("120 sequence states");

    const settings = screen.getByRole("button", { name: "Settings" });
    await user.click(settings);
    expect(screen.getByRole("menuitem", { name: "Assign Mailbox" })).toBeDisabled();
    await user.click(settings);

    await user.click(screen.getByRole("checkbox", { name: "Select all sequence states on this page" }));
    await user.click(screen.getByRole("button", { name: "Select all 120 matching" }));
    expect(screen.getByText("All 120 matching selected")).toBeInTheDocument();

    await user.click(settings);
    await user.click(screen.getByRole("menuitem", { name: "Assign Mailbox" }));
    const dialog = await screen.findByRole("dialog", { name: "Assign Mailbox" });
    expect(within(dialog).getByText("120 sequence states selected.")).toBeInTheDocument();
  });

  it("sends the filters to the server and starts again from the first page", async () => {
    const user = userEvent.setup();
    const sent = stubPagedServer();
    renderApp("/settings/sequence-states");
    await screen.findByText("120 sequence states");

    await user.selectOptions(screen.getByLabelText("State"), "ACTIVE");
    await user.click(screen.getByLabelText("Has undelivered emails"));
    await user.type(screen.getByLabelText("Prospect"), "acme");
    await user.click(screen.getByRole("button", { name: "Search" }));

    await waitFor(() => {
      const last = sent.filter((r) => operationName(r) === "SequenceStates").at(-1);
      expect(operationVariables(last!)).toEqual({
        first: 50,
        after: null,
        filter: { states: ["ACTIVE"], hasUndeliveredEmails: true, prospectEmailContains: "acme" },
      });
    });
  });

  it("filters by sequence", async () => {
    const user = userEvent.setup();
    const sent = stubFetch((request) => {
      if (operationName(request) === "Viewer") {
        return jsonResponse({ data: viewerData });
      }
      if (operationName(request) === "SequenceStateSequences") {
        return jsonResponse({ data: { sequences: [{ id: "30064771073", name: "Q4 outreach" }] } });
      }
      return jsonResponse({ data: sequenceStatesPage(1, 5, { totalCount: 5, hasNextPage: false }) });
    });
    renderApp("/settings/sequence-states");
    await screen.findByText("5 sequence states");
    await user.selectOptions(await screen.findByLabelText("Sequence"), "Q4 outreach");
    await waitFor(() => {
      const last = sent.filter((r) => operationName(r) === "SequenceStates").at(-1);
      expect(operationVariables(last!)).toMatchObject({ filter: { sequenceID: "30064771073" } });
    });
  });

  it("shows an empty state", async () => {
    stubEmptyServer();
    renderApp("/settings/sequence-states");
    expect(await screen.findByText("No sequence states yet")).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("says when no sequence state matches the filters", async () => {
    const user = userEvent.setup();
    stubEmptyServer();
    renderApp("/settings/sequence-states");
    await screen.findByText("No sequence states yet");
    await user.selectOptions(screen.getByLabelText("State"), "ACTIVE");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText("No sequence states match these filters")).toBeInTheDocument();
    expect(screen.queryByText("No sequence states yet")).toBeNull();
  });

  it("shows the server's error message", async () => {
    stubFetch((request) =>
      operationName(request) === "Viewer"
        ? jsonResponse({ data: viewerData })
        : graphqlError("first must be between 1 and 100", "VALIDATION_FAILED", { field: "first" }),
    );
    renderApp("/settings/sequence-states");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sequence states could not be loaded.");
    expect(alert).toHaveTextContent("first must be between 1 and 100");
    await waitFor(() => expect(screen.queryByRole("table")).toBeNull());
  });
});

import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { SyncHealthFieldsFragment } from "../gql/graphql";
import { SyncHealth } from "./SyncHealth";

function health(overrides: Partial<SyncHealthFieldsFragment> = {}): SyncHealthFieldsFragment {
  return {
    syncEnabled: true,
    syncStage: "INCREMENTAL",
    syncProgressDone: 0,
    syncProgressTotal: null,
    throttledUntil: null,
    ...overrides,
  };
}

function renderHealth(h: SyncHealthFieldsFragment) {
  render(
    <dl>
      <SyncHealth mailbox={h} timeZone="UTC" now={new Date("2026-03-02T14:00:00Z")} />
    </dl>,
  );
  const term = screen.getByText("Sync status", { selector: "dt" });
  return term.nextElementSibling as HTMLElement;
}

describe("SyncHealth", () => {
  it("shows the first import's progress", () => {
    const dd = renderHealth(health({ syncStage: "INITIAL_SYNC", syncProgressDone: 1200, syncProgressTotal: 5000 }));
    expect(dd).toHaveTextContent("Importing mail: 1,200 of 5,000 messages checked");
    const bar = screen.getByRole("progressbar", { name: "Mail import progress" });
    expect(bar).toHaveAttribute("value", "1200");
    expect(bar).toHaveAttribute("max", "5000");
  });

  it("names each stage in words", () => {
    expect(renderHealth(health({ syncStage: "IDLE" }))).toHaveTextContent("Not synced yet");
  });

  it("says when sync is paused or failed", () => {
    expect(renderHealth(health({ syncEnabled: false, syncStage: "PAUSED" }))).toHaveTextContent("Paused (Syncing is off)");
  });

  it("shows a throttle only while it lasts", () => {
    const dd = renderHealth(health({ throttledUntil: "2026-03-02T14:05:00Z" }));
    expect(dd).toHaveTextContent("Active — Microsoft asked Mailbridge to slow down; syncing resumes at");
  });

  it("hides a throttle that has passed", () => {
    const dd = renderHealth(health({ syncStage: "FAILED", throttledUntil: "2026-03-02T13:00:00Z" }));
    expect(dd).toHaveTextContent(/^Failed$/);
  });
});

import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { SendHealthFragment } from "../gql/graphql";
import { SendHealth } from "./SendHealth";

function health(overrides: Partial<SendHealthFragment> = {}): SendHealthFragment {
  return {
    sendStatus: "SENDING",
    sendStatusReason: null,
    lastSentAt: null,
    lastSendError: null,
    throttledUntil: null,
    ...overrides,
  };
}

function renderHealth(h: SendHealthFragment) {
  render(
    <dl>
      <SendHealth mailbox={h} timeZone="America/New_York" />
    </dl>,
  );
}

/** The <dd> that belongs to the <dt> with this label. */
function fact(label: string): HTMLElement {
  const value = screen.getByText(label, { selector: "dt" }).nextElementSibling;
  if (!(value instanceof HTMLElement)) {
    throw new Error(`no value for ${label}`);
  }
  return value;
}

describe("SendHealth", () => {
  it("shows a healthy mailbox as Sending, never sent yet", () => {
    renderHealth(health());
    expect(fact("Delivery")).toHaveTextContent(/^Sending$/);
    expect(fact("Last sent")).toHaveTextContent("Never");
  });

  it("shows why emails are held", () => {
    renderHealth(health({ sendStatus: "HELD", sendStatusReason: "Held: Sending is off for this mailbox." }));
    expect(fact("Delivery")).toHaveTextContent("HeldHeld: Sending is off for this mailbox.");
  });

  it("shows until when Microsoft 365 paused sending, with the reason", () => {
    renderHealth(
      health({
        sendStatus: "THROTTLED",
        throttledUntil: "2026-03-03T14:05:00Z",
        sendStatusReason: "Sending paused for 24 hours: Microsoft 365 blocked this mailbox from sending.",
        lastSendError: "Sending paused for 24 hours: Microsoft 365 blocked this mailbox from sending.",
      }),
    );
    const dd = fact("Delivery");
    expect(dd).toHaveTextContent(/^Paused by Microsoft 365 until /);
    expect(within(dd).getByText(/blocked this mailbox/)).toBeInTheDocument();
    expect(within(dd).queryByText(/Last sending problem/)).toBeNull();
    expect(within(dd).getByRole("time")).toHaveAttribute("dateTime", "2026-03-03T14:05:00Z");
  });

  it("shows the last send and the last sending problem", () => {
    renderHealth(health({ lastSentAt: "2026-03-02T14:05:00Z", lastSendError: "Sending is retrying after a temporary problem: timeout" }));
    expect(within(fact("Last sent")).getByRole("time")).toHaveAttribute("dateTime", "2026-03-02T14:05:00Z");
    expect(fact("Delivery")).toHaveTextContent("Last sending problem: Sending is retrying after a temporary problem: timeout");
  });
});

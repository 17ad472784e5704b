import { describe, expect, it } from "vitest";
import { safeNextPath, signInPath } from "./routes";

describe("safeNextPath", () => {
  it.each([
    ["/settings/sequence-states", "/settings/sequence-states"],
    ["/settings/mailboxes?x=1", "/settings/mailboxes?x=1"],
    [null, "/settings/mailboxes"],
    ["https://evil.example/", "/settings/mailboxes"],
    ["//evil.example/", "/settings/mailboxes"],
    ["/\\evil.example/", "/settings/mailboxes"],
    ["/auth/signout", "/settings/mailboxes"],
    ["/graphql", "/settings/mailboxes"],
    ["/sign-in", "/settings/mailboxes"],
  ])("%s → %s", (next, want) => {
    expect(safeNextPath(next)).toBe(want);
  });
});

describe("signInPath", () => {
  it("remembers only useful return addresses", () => {
    expect(signInPath("/settings/sequence-states")).toBe(
      "/sign-in?next=%2Fsettings%2Fsequence-states",
    );
    expect(signInPath("/settings/mailboxes")).toBe("/sign-in");
    expect(signInPath()).toBe("/sign-in");
  });
});

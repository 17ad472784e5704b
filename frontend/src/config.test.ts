import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, readConfig } from "./config";

const valid = {
  mode: "demo",
  version: "1.0.0",
  graphqlPath: "/graphql",
  csrfHeader: "X-Mailbridge-CSRF",
  demoSignIn: true,
};

function documentWith(json: string | null): Document {
  const doc = document.implementation.createHTMLDocument();
  if (json !== null) {
    const script = doc.createElement("script");
    script.type = "application/json";
    script.id = "config__json";
    script.textContent = json;
    doc.head.append(script);
  }
  return doc;
}

describe("readConfig", () => {
  it("reads the configuration the server rendered", () => {
    // html/template pads JSON with spaces and escapes "<" as \u003c.
    const config = readConfig(documentWith(` ${JSON.stringify({ ...valid, version: "v1\u003c/script\u003e" })} `));
    expect(config).toEqual({ ...valid, version: "v1</script>" });
  });

  it("explains a missing or broken configuration", () => {
    expect(() => readConfig(documentWith(null))).toThrow(/missing/);
    expect(() => readConfig(documentWith("{not json"))).toThrow(ConfigError);
  });

  it.each([
    ["mode", { ...valid, mode: "staging" }],
    ["graphqlPath", { ...valid, graphqlPath: "graphql" }],
    ["csrfHeader", { ...valid, csrfHeader: "" }],
    ["demoSignIn", { ...valid, demoSignIn: "yes" }],
    ["version", { ...valid, version: 3 }],
  ])("rejects a bad %s", (field, value) => {
    expect(() => parseConfig(value)).toThrow(new RegExp(field));
  });
});

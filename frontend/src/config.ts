import { createContext, useContext } from "react";

/**
 * Runtime configuration that the Go server renders into index.html as
 * `<script type="application/json" id="config__json">`. Nothing
 * environment-specific is baked in at build time.
 */
export interface AppConfig {
  mode: "demo" | "production";
  version: string;
  graphqlPath: string;
  csrfHeader: string;
  demoSignIn: boolean;
}

export const CONFIG_ELEMENT_ID = "config__json";

/** Thrown when index.html carries no usable runtime configuration. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validates decoded JSON as an AppConfig, naming the first bad field. */
export function parseConfig(value: unknown): AppConfig {
  if (!isRecord(value)) {
    throw new ConfigError("runtime configuration is not a JSON object");
  }
  const { mode, version, graphqlPath, csrfHeader, demoSignIn } = value;
  if (mode !== "demo" && mode !== "production") {
    throw new ConfigError(`runtime configuration: mode must be "demo" or "production"`);
  }
  if (typeof version !== "string") {
    throw new ConfigError("runtime configuration: version must be a string");
  }
  if (typeof graphqlPath !== "string" || !graphqlPath.startsWith("/")) {
    throw new ConfigError("runtime configuration: graphqlPath must be an absolute path");
  }
  if (typeof csrfHeader !== "string" || csrfHeader === "") {
    throw new ConfigError("runtime configuration: csrfHeader must be a header name");
  }
  if (typeof demoSignIn !== "boolean") {
    throw new ConfigError("runtime configuration: demoSignIn must be a boolean");
  }
  return { mode, version, graphqlPath, csrfHeader, demoSignIn };
}

/** Reads the configuration the server rendered into the page. */
export function readConfig(doc: Document): AppConfig {
  const element = doc.getElementById(CONFIG_ELEMENT_ID);
  if (element === null || element.textContent === null) {
    throw new ConfigError(
      "runtime configuration is missing: open the app through the Mailbridge server, not the Vite dev server",
    );
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(element.textContent);
  } catch {
    throw new ConfigError("runtime configuration is not valid JSON");
  }
  return parseConfig(decoded);
}

const ConfigContext = createContext<AppConfig | null>(null);

export const ConfigProvider = ConfigContext.Provider;

/** The runtime configuration; only valid below a ConfigProvider. */
export function useConfig(): AppConfig {
  const config = useContext(ConfigContext);
  if (config === null) {
    throw new Error("useConfig must be used inside ConfigProvider");
  }
  return config;
}

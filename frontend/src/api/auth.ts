import { ApiError, codeForStatus, networkError, statusMessage } from "./errors";
import { CSRF_HEADER_VALUE } from "./graphql";

export const SIGN_IN_WITH_MICROSOFT_PATH = "/auth/microsoft/signin";
const DEMO_USERS_PATH = "/auth/demo/users";
const DEMO_SIGN_IN_PATH = "/auth/demo/signin";
const SIGN_OUT_PATH = "/auth/signout";

export type Role = "ADMIN" | "USER";

/** A user one can sign in as in demo mode. */
export interface DemoUser {
  id: string;
  name: string;
  email: string;
  role: Role;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDemoUser(value: unknown): value is DemoUser {
  return (
    isRecord(value) &&
    typeof value.id === "string" &&
    typeof value.name === "string" &&
    typeof value.email === "string" &&
    (value.role === "ADMIN" || value.role === "USER")
  );
}

async function send(path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...init });
  } catch {
    throw networkError();
  }
  if (!response.ok) {
    throw new ApiError(
      [{ message: await failureMessage(response), code: codeForStatus(response.status) }],
      response.status,
    );
  }
  return response;
}

/**
 * The message to show for a failed auth request: the server's own words when
 * it sent some (JSON `message`/`error`, or short plain text), else one
 * derived from the status.
 */
async function failureMessage(response: Response): Promise<string> {
  let text: string;
  try {
    text = (await response.text()).trim();
  } catch {
    return statusMessage(response.status);
  }
  const contentType = response.headers.get("Content-Type") ?? "";
  if (contentType.includes("json")) {
    try {
      const body: unknown = JSON.parse(text);
      if (isRecord(body)) {
        for (const key of ["message", "error"]) {
          const value = body[key];
          if (typeof value === "string" && value !== "") {
            return value;
          }
        }
      }
    } catch {
      // Fall through to the status message.
    }
    return statusMessage(response.status);
  }
  if (contentType.startsWith("text/plain") && text !== "" && text.length <= 300) {
    return text;
  }
  return statusMessage(response.status);
}

function postHeaders(csrfHeader: string): HeadersInit {
  return { "Content-Type": "application/json", [csrfHeader]: CSRF_HEADER_VALUE };
}

/** Lists the users one can sign in as in demo mode. */
export async function fetchDemoUsers(signal?: AbortSignal): Promise<DemoUser[]> {
  const response = await send(DEMO_USERS_PATH, {
    headers: { Accept: "application/json" },
    ...(signal === undefined ? {} : { signal }),
  });
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!Array.isArray(body) || !body.every(isDemoUser)) {
    throw new ApiError(
      [{ message: "The list of demo users could not be read.", code: "INTERNAL" }],
      response.status,
    );
  }
  return body;
}

/** Starts a session as the given demo user; the server sets the cookie. */
export async function demoSignIn(csrfHeader: string, userID: string): Promise<void> {
  await send(DEMO_SIGN_IN_PATH, {
    method: "POST",
    headers: postHeaders(csrfHeader),
    body: JSON.stringify({ userID }),
  });
}

/** Ends the session. An already-ended session counts as signed out. */
export async function signOut(csrfHeader: string): Promise<void> {
  try {
    await send(SIGN_OUT_PATH, { method: "POST", headers: postHeaders(csrfHeader), body: "{}" });
  } catch (error) {
    if (error instanceof ApiError && error.isUnauthenticated) {
      return;
    }
    throw error;
  }
}

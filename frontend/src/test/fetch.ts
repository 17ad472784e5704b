import { vi } from "vitest";

/** One request as the app sent it. */
export interface SentRequest {
  url: string;
  method: string;
  headers: Headers;
  credentials: RequestCredentials | undefined;
  body: unknown;
}

type Responder = (request: SentRequest) => Response | Promise<Response>;

function decodeBody(body: BodyInit | null | undefined): unknown {
  if (typeof body !== "string") {
    return undefined;
  }
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/**
 * Replaces fetch with `respond` and records every request. vitest's
 * unstubGlobals restores the real fetch after each test.
 */
export function stubFetch(respond: Responder): SentRequest[] {
  const sent: SentRequest[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request: SentRequest = {
        url: typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
        method: init?.method ?? "GET",
        headers: new Headers(init?.headers),
        credentials: init?.credentials,
        body: decodeBody(init?.body),
      };
      sent.push(request);
      return respond(request);
    }),
  );
  return sent;
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** The operation name of a GraphQL request body, e.g. "Viewer". */
export function operationName(request: SentRequest): string | undefined {
  const body = request.body;
  if (typeof body !== "object" || body === null || !("query" in body)) {
    return undefined;
  }
  const query = body.query;
  if (typeof query !== "string") {
    return undefined;
  }
  return /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1];
}

/** The variables of a GraphQL request body. */
export function operationVariables(request: SentRequest): unknown {
  const body = request.body;
  return typeof body === "object" && body !== null && "variables" in body
    ? body.variables
    : undefined;
}

/** A GraphQL error response in the server's shape. */
export function graphqlError(
  message: string,
  code: string,
  extra: Record<string, string> = {},
): Response {
  return jsonResponse({ errors: [{ message, extensions: { code, ...extra } }], data: null });
}

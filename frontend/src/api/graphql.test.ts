import { describe, expect, it } from "vitest";
import { ViewerDocument } from "../gql/graphql";
import { graphqlError, jsonResponse, stubFetch } from "../test/fetch";
import { ApiError, ErrorCode, errorMessages } from "./errors";
import { executeGraphQL } from "./graphql";

const endpoint = { path: "/graphql", csrfHeader: "X-Mailbridge-CSRF" };

const viewer = {
  viewer: {
    isAdmin: false,
    user: { id: "u1", name: "John", email: "john@acme.com", timeZone: "Europe/Berlin" },
    organization: { id: "o1", name: "Acme" },
  },
};

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected the request to fail");
}

describe("executeGraphQL", () => {
  it("posts JSON with the session cookie and the CSRF header", async () => {
    const sent = stubFetch(() => jsonResponse({ data: viewer }));

    await expect(executeGraphQL(endpoint, ViewerDocument, {})).resolves.toEqual(viewer);

    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request?.url).toBe("/graphql");
    expect(request?.method).toBe("POST");
    expect(request?.credentials).toBe("same-origin");
    expect(request?.headers.get("Content-Type")).toBe("application/json");
    expect(request?.headers.get("X-Mailbridge-CSRF")).toBe("1");
    expect(request?.body).toEqual({ query: ViewerDocument.toString(), variables: {} });
  });

  it("keeps every error's message and extensions", async () => {
    stubFetch(() =>
      jsonResponse({
        data: null,
        errors: [
          {
            message: "Connect the mailbox before enabling Sending.",
            extensions: { code: "VALIDATION_FAILED", field: "enabled", id: "mailbox.notConnected" },
          },
          { message: "Another problem.", extensions: { code: "CONFLICT" } },
        ],
      }),
    );

    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.code).toBe(ErrorCode.ValidationFailed);
    expect(error.message).toBe("Connect the mailbox before enabling Sending.");
    expect(error.details).toEqual([
      {
        message: "Connect the mailbox before enabling Sending.",
        code: "VALIDATION_FAILED",
        field: "enabled",
        id: "mailbox.notConnected",
      },
      { message: "Another problem.", code: "CONFLICT" },
    ]);
    expect(errorMessages(error)).toEqual([
      "Connect the mailbox before enabling Sending.",
      "Another problem.",
    ]);
    expect(error.isUnauthenticated).toBe(false);
  });

  it("recognises UNAUTHENTICATED", async () => {
    stubFetch(() => graphqlError("Sign in to continue.", "UNAUTHENTICATED"));
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.isUnauthenticated).toBe(true);
    expect(error.message).toBe("Sign in to continue.");
  });

  it("reads errors from a non-200 GraphQL answer", async () => {
    stubFetch(() =>
      jsonResponse({ errors: [{ message: "Cannot query field \"nope\"", extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] }, 422),
    );
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.status).toBe(422);
    expect(error.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("derives the code from the status when an error has none", async () => {
    stubFetch(() => jsonResponse({ errors: [{ message: "no session" }] }, 401));
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.code).toBe(ErrorCode.Unauthenticated);
    expect(error.message).toBe("no session");
  });

  it("turns a non-JSON failure into a readable error", async () => {
    stubFetch(() => new Response("<html>Bad Gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }));
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toMatch(/HTTP 502/);
    expect(error.message).not.toMatch(/html/);
  });

  it("names rate limiting and unavailability when the body is unreadable", async () => {
    stubFetch(() => new Response("slow down", { status: 429 }));
    const limited = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(limited.code).toBe(ErrorCode.RateLimited);
    expect(limited.message).toMatch(/Too many requests/);
    stubFetch(() => new Response("", { status: 503 }));
    const down = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(down.code).toBe(ErrorCode.Unavailable);
    expect(down.message).toMatch(/not answering/);
  });

  it("treats a bare 403 (cross-origin protection) as FORBIDDEN", async () => {
    stubFetch(() => new Response("cross-origin request detected", { status: 403 }));
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.code).toBe(ErrorCode.Forbidden);
  });

  it("reports NETWORK when no answer arrives", async () => {
    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.code).toBe(ErrorCode.Network);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/Could not reach Mailbridge/);
  });

  it("rejects a 200 without data", async () => {
    stubFetch(() => jsonResponse({}));
    const error = await rejection(executeGraphQL(endpoint, ViewerDocument, {}));
    expect(error.code).toBe(ErrorCode.Internal);
  });
});

import type { TypedDocumentString } from "../gql/graphql";
import {
  ApiError,
  type ApiErrorDetail,
  codeForStatus,
  ErrorCode,
  networkError,
  statusMessage,
} from "./errors";

/** The value of the CSRF header on every state-changing request. */
export const CSRF_HEADER_VALUE = "1";

/** Where and how to reach the GraphQL endpoint. */
export interface GraphQLEndpoint {
  path: string;
  csrfHeader: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reduces one entry of a GraphQL `errors` array to an ApiErrorDetail. */
function toDetail(raw: unknown, status: number): ApiErrorDetail {
  const entry = isRecord(raw) ? raw : {};
  const extensions = isRecord(entry.extensions) ? entry.extensions : {};
  const detail: ApiErrorDetail = {
    message:
      typeof entry.message === "string" && entry.message !== ""
        ? entry.message
        : statusMessage(status >= 400 ? status : 500),
    code: typeof extensions.code === "string" ? extensions.code : codeForStatus(status),
  };
  if (typeof extensions.field === "string") {
    detail.field = extensions.field;
  }
  if (typeof extensions.id === "string") {
    detail.id = extensions.id;
  }
  return detail;
}

/**
 * Runs one operation against the GraphQL endpoint with the session cookie and
 * the CSRF header. Resolves with `data`; rejects with an ApiError carrying
 * every error's message and `extensions.code` (or NETWORK when no answer came).
 */
export async function executeGraphQL<TResult, TVariables>(
  endpoint: GraphQLEndpoint,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  signal?: AbortSignal,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(endpoint.path, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        [endpoint.csrfHeader]: CSRF_HEADER_VALUE,
      },
      body: JSON.stringify({ query: document.toString(), variables }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (signal?.aborted) {
      throw error;
    }
    throw networkError();
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }

  if (isRecord(body) && Array.isArray(body.errors) && body.errors.length > 0) {
    throw new ApiError(
      body.errors.map((e) => toDetail(e, response.status)),
      response.status,
    );
  }
  if (!response.ok) {
    throw new ApiError(
      [{ message: statusMessage(response.status), code: codeForStatus(response.status) }],
      response.status,
    );
  }
  if (!isRecord(body) || !isRecord(body.data)) {
    throw new ApiError(
      [{ message: "The server sent an answer Mailbridge could not read.", code: ErrorCode.Internal }],
      response.status,
    );
  }
  // The server validated the operation against the same schema the result
  // type was generated from; this is the one trust boundary.
  return body.data as TResult;
}

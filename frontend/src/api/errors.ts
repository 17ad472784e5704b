/**
 * Error codes the server puts in `extensions.code`, plus NETWORK for requests
 * that never got an answer.
 */
export const ErrorCode = {
  Unauthenticated: "UNAUTHENTICATED",
  Forbidden: "FORBIDDEN",
  NotFound: "NOT_FOUND",
  ValidationFailed: "VALIDATION_FAILED",
  Conflict: "CONFLICT",
  QueryTooCostly: "QUERY_TOO_COSTLY",
  RateLimited: "RATE_LIMITED",
  Unavailable: "UNAVAILABLE",
  Internal: "INTERNAL",
  Network: "NETWORK",
} as const;

/** One error as the server reported it, reduced to what the UI uses. */
export interface ApiErrorDetail {
  /** Human-readable, safe to show as is. */
  message: string;
  /** One of ErrorCode, or another code a newer server sends. */
  code: string;
  /** The input field a VALIDATION_FAILED error is about. */
  field?: string;
  /** Stable message id such as "mailbox.notConnected". */
  id?: string;
}

/**
 * A failed API call: one or more errors, each with a message to show.
 * The first error decides `code`.
 */
export class ApiError extends Error {
  override name = "ApiError";
  readonly details: readonly ApiErrorDetail[];
  /** HTTP status, or 0 when the request never got an answer. */
  readonly status: number;

  constructor(details: readonly ApiErrorDetail[], status: number) {
    const first = details[0] ?? { message: "Something went wrong.", code: ErrorCode.Internal };
    super(first.message);
    this.details = details.length > 0 ? details : [first];
    this.status = status;
  }

  get code(): string {
    return this.details[0]?.code ?? ErrorCode.Internal;
  }

  /** True when the session is missing or expired: the user must sign in. */
  get isUnauthenticated(): boolean {
    return this.details.some((d) => d.code === ErrorCode.Unauthenticated);
  }
}

/** The code of any error thrown by the API layer. */
export function errorCode(error: unknown): string {
  return error instanceof ApiError ? error.code : ErrorCode.Internal;
}

/** True for errors that mean "sign in again". */
export function isUnauthenticated(error: unknown): boolean {
  return error instanceof ApiError && error.isUnauthenticated;
}

/** The messages to show for an error, one per distinct message. */
export function errorMessages(error: unknown): string[] {
  if (error instanceof ApiError) {
    return [...new Set(error.details.map((d) => d.message))];
  }
  if (error instanceof Error && error.message !== "") {
    return [error.message];
  }
  return ["Something went wrong."];
}

const statusCodes: Record<number, string> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthenticated,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  422: ErrorCode.ValidationFailed,
  429: ErrorCode.RateLimited,
  503: ErrorCode.Unavailable,
};

/** The error code that best describes an HTTP status without a body we understand. */
export function codeForStatus(status: number): string {
  return statusCodes[status] ?? ErrorCode.Internal;
}

/** Message for a failed HTTP response whose body carried no usable message. */
export function statusMessage(status: number): string {
  switch (codeForStatus(status)) {
    case ErrorCode.Unauthenticated:
      return "Your session has ended. Sign in again.";
    case ErrorCode.Forbidden:
      return "You don't have access to this.";
    case ErrorCode.NotFound:
      return "Not found.";
    case ErrorCode.RateLimited:
      return "Too many requests in a short time. Wait a moment, then try again.";
    case ErrorCode.Unavailable:
      return "Mailbridge is not answering right now (its database did not respond in time). Try again in a moment.";
    default:
      return `The server could not complete the request (HTTP ${status}). Try again in a moment.`;
  }
}

export const networkErrorMessage =
  "Could not reach Mailbridge. Check your connection and try again.";

/** An ApiError for a request that failed before any answer arrived. */
export function networkError(): ApiError {
  return new ApiError([{ message: networkErrorMessage, code: ErrorCode.Network }], 0);
}

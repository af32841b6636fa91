/**
 * Problem documents (RFC 9457, CONTRACT §1.2) and everything else that can go wrong with a
 * request, turned into one `Problem` shape and into sentences a person can act on. Nothing
 * the server sends is shown raw: only its `detail` and field messages, bounded in length.
 */

export interface FieldError {
  field: string;
  message: string;
}

export type ProblemKind = "problem" | "network";

export interface Problem {
  kind: ProblemKind;
  status: number;
  title: string;
  detail: string;
  code?: string;
  errors: FieldError[];
  requestId?: string;
  /** Seconds, from the Retry-After header (or the body's `retry_after`). */
  retryAfter?: number;
  /** The budget a 429 is about (`actions`, `requests`, `login`). */
  budget?: string;
}

/** Thrown by the transport when no HTTP answer came back at all. */
export class NetworkError extends Error {
  constructor(message = "network request failed") {
    super(message);
    this.name = "NetworkError";
  }
}

const MAX_TEXT = 300;

function text(value: unknown, fallback = ""): string {
  if (typeof value !== "string") return fallback;
  const trimmed = value.trim();
  if (!trimmed) return fallback;
  // Defence in depth: something that looks like JSON, markup or a trace is not a message.
  if (/^[[{<]/.test(trimmed) || /Traceback|\n\s+at |File ".*", line/.test(trimmed)) return fallback;
  return trimmed.length > MAX_TEXT ? `${trimmed.slice(0, MAX_TEXT - 1)}…` : trimmed;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Signed out",
  403: "Not allowed",
  404: "Not found",
  405: "Not allowed",
  409: "Conflict",
  413: "Too large",
  415: "Unsupported content",
  429: "Rate limited",
  500: "Server error",
  502: "Server unreachable",
  503: "Service unavailable",
  504: "Server unreachable",
};

/** Builds a Problem from an HTTP status and whatever body came with it. */
export function problemFromBody(status: number, body: unknown, retryAfterHeader?: number): Problem {
  const record = isRecord(body) ? body : {};
  const errors: FieldError[] = Array.isArray(record.errors)
    ? record.errors.filter(isRecord).map((e) => ({
        field: typeof e.field === "string" ? e.field : "",
        message: text(e.message, "is invalid"),
      }))
    : [];
  const bodyRetry = typeof record.retry_after === "number" ? record.retry_after : undefined;
  const problem: Problem = {
    kind: "problem",
    status,
    title: text(record.title, STATUS_TITLES[status] ?? "Error"),
    detail: text(record.detail),
    errors,
  };
  if (typeof record.code === "string") problem.code = record.code;
  if (typeof record.request_id === "string") problem.requestId = record.request_id;
  const retry = retryAfterHeader ?? bodyRetry;
  if (retry !== undefined) problem.retryAfter = retry;
  if (typeof record.budget === "string") problem.budget = record.budget;
  return problem;
}

export function isProblem(value: unknown): value is Problem {
  return isRecord(value) && (value.kind === "problem" || value.kind === "network") && typeof value.status === "number";
}

/** Anything thrown by a query or mutation, as a Problem. */
export function toProblem(error: unknown): Problem {
  if (isProblem(error)) return error;
  if (error instanceof NetworkError || error instanceof TypeError) {
    return { kind: "network", status: 0, title: "Server unreachable", detail: "", errors: [] };
  }
  if (isRecord(error) && typeof error.status === "number") return problemFromBody(error.status, error);
  return { kind: "problem", status: 0, title: "Error", detail: "", errors: [] };
}

/** The sentence to show for a problem (field errors are shown beside their fields as well). */
export function problemMessage(problem: Problem): string {
  if (problem.kind === "network") {
    return "Can't reach the pacai server. Check your connection and try again in a moment.";
  }
  const { status, detail } = problem;
  switch (status) {
    case 401:
      return detail || "Your session has ended. Please sign in again.";
    case 403:
      return detail || "You don't have permission to do that.";
    case 404:
      return detail || "That doesn't exist, or you can't see it.";
    case 409:
      return detail || "That conflicts with something that already exists.";
    case 413:
      return "That is larger than the server accepts.";
    case 429: {
      const wait = problem.retryAfter ? ` Try again in ${problem.retryAfter} s.` : " Try again shortly.";
      return `${budgetLabel(problem.budget)} is used up for now.${wait}`;
    }
    case 503:
      return detail || "The server is temporarily unavailable. It retries by itself.";
    default:
      if (status >= 500) {
        const ref = problem.requestId ? ` (reference ${problem.requestId})` : "";
        return `Something went wrong on the server${ref}. Please try again.`;
      }
      if (detail) return detail;
      if (problem.errors.length) return "Some fields need attention.";
      return "The request could not be completed.";
  }
}

export function budgetLabel(budget: string | undefined): string {
  switch (budget) {
    case "actions":
      return "Your actions budget";
    case "login":
      return "The sign-in attempt limit";
    case "requests":
      return "Your request budget";
    default:
      return "Your rate limit";
  }
}

/**
 * Field errors keyed by form field. `prefix` selects errors under a path (`params.` or
 * `ops[0].`) and strips it; errors that fall outside `known` are returned as `other`.
 */
export function fieldErrors(
  problem: Problem | null | undefined,
  known: readonly string[],
  prefixes: readonly (string | RegExp)[] = [],
): { byField: Record<string, string>; other: FieldError[] } {
  const byField: Record<string, string> = {};
  const other: FieldError[] = [];
  if (!problem) return { byField, other };
  for (const error of problem.errors) {
    let field = error.field;
    for (const prefix of prefixes) {
      if (typeof prefix === "string" ? field.startsWith(prefix) : prefix.test(field)) {
        field = field.replace(prefix, "");
        break;
      }
    }
    if (known.includes(field) && byField[field] === undefined) byField[field] = error.message;
    else other.push(error); // keeps its full path: it has no field on this form
  }
  return { byField, other };
}

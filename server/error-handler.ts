import { STATUS_CODES } from "node:http";

import type { ErrorRequestHandler, Request, Response } from "express";

import { summarizeError } from "../app/utils/error-summary.server";
import { escapeHtml } from "../app/utils/html";
import { LogRateLimiter } from "../app/utils/log-rate-limit.server";
import { logger } from "../app/utils/logger.server";
import { isRemixDataRequest, sendDataRequestError } from "./data-request-error";
import { isApiPath } from "./request-origin";

/** Seconds a client is asked to wait (Retry-After) while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Error codes of a database connection that could not be opened or broke:
 * Node.js socket and DNS errors, and SQLSTATE codes of PostgreSQL for
 * 57P01 admin_shutdown, 57P02 crash_shutdown and 57P03 cannot_connect_now
 * (starting up or shutting down). SQLSTATE class 08 is matched separately.
 */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "57P01",
  "57P02",
  "57P03",
  // Prisma: P1001 "Can't reach database server", P1002 "timed out",
  // P1017 "Server has closed the connection".
  "P1001",
  "P1002",
  "P1017",
]);

/**
 * Messages of node-postgres (pg 8, pg-pool 3) for connection failures that
 * carry no code.
 */
const CONNECTION_ERROR_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
];

/**
 * Reports whether `error`, or an error in its `cause` chain or among an
 * AggregateError's errors, is a failed or broken database connection.
 */
export function isDatabaseUnavailableError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const { code, message, cause } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (typeof code === "string") {
    if (CONNECTION_ERROR_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) {
      return true;
    }
  }
  if (
    typeof message === "string" &&
    CONNECTION_ERROR_MESSAGES.some((text) => message.startsWith(text))
  ) {
    return true;
  }
  if (
    error instanceof AggregateError &&
    error.errors.some((inner) => isDatabaseUnavailableError(inner, depth + 1))
  ) {
    return true;
  }
  return isDatabaseUnavailableError(cause, depth + 1);
}

/**
 * Returns the 4xx status that Express and its middleware put on a client
 * error (`status` or `statusCode`), or null for any other error.
 */
export function clientErrorStatus(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const { status, statusCode } = error as {
    status?: unknown;
    statusCode?: unknown;
  };
  const value = typeof status === "number" ? status : statusCode;
  return typeof value === "number" && value >= 400 && value <= 499
    ? value
    : null;
}

/**
 * Content of an error response: the page's title and text, and the `error`
 * string of a JSON response under /api/v1.
 */
type ErrorContent = { title: string; message: string; apiError: string };

function describeClientError(error: unknown, status: number): ErrorContent {
  // Express's router rejects a path whose percent-encoding does not decode
  // (such as "/%" or "/%E0%A4%A") with a URIError that has status 400.
  if (error instanceof URIError) {
    const message =
      "The address contains a % that does not start a valid percent-encoded character. Fix the link or the address and try again.";
    return { title: "Invalid address", message, apiError: message };
  }
  const title = STATUS_CODES[status] ?? "Bad Request";
  const message = `The server could not process this request (${status} ${title}). Check the address and try again.`;
  return { title, message, apiError: message };
}

const DATABASE_UNAVAILABLE: ErrorContent = {
  title: "Service temporarily unavailable",
  message:
    "Dokodo cannot reach its database at the moment. Try again in a few seconds.",
  apiError:
    "Service temporarily unavailable: the database cannot be reached. Retry after the Retry-After header's seconds.",
};

const INTERNAL_ERROR: ErrorContent = {
  title: "Something went wrong",
  message: "The server could not finish this request. Try again in a moment.",
  apiError: "Internal server error",
};

function renderErrorPage(content: ErrorContent, requestId: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(content.title)} · Dokodo</title></head><body><main><h1>${escapeHtml(content.title)}</h1><p>${escapeHtml(content.message)}</p><p>Request ID: <code>${escapeHtml(requestId)}</code></p></main></body></html>`;
}

function sendError(
  req: Request,
  res: Response,
  status: number,
  content: ErrorContent,
): void {
  const requestId = res.locals.requestId;
  res.set("Cache-Control", "no-store");
  if (isApiPath(req.path)) {
    res.status(status).json({ error: content.apiError, requestId });
  } else if (isRemixDataRequest(req)) {
    sendDataRequestError(req, res, status, content.title, {
      message: content.message,
      requestId,
    });
  } else {
    res.status(status).type("html").send(renderErrorPage(content, requestId));
  }
}

/** Limits the log lines of client errors and database outages, each at most 20 a minute. */
const clientErrorLogLimit = new LogRateLimiter(20, 60_000);
const databaseErrorLogLimit = new LogRateLimiter(20, 60_000);

/**
 * Last resort for errors outside Remix's own error boundaries. Never sends
 * a stack trace. A client error (a 4xx status on the error) gets that
 * status, logged at warn. A failed database connection gets 503 with
 * Retry-After, because every request needs the database, the throttle
 * first. Anything else is a 500 logged at error.
 */
export const handleUnexpectedError: ErrorRequestHandler = (
  error,
  req,
  res,
  next,
) => {
  const clientStatus = clientErrorStatus(error);
  const databaseUnavailable =
    clientStatus === null && isDatabaseUnavailableError(error);

  if (clientStatus !== null) {
    const dropped = clientErrorLogLimit.take();
    if (dropped !== null) {
      logger.warn(
        {
          event: "http.client_error",
          status: clientStatus,
          ...summarizeError(error),
          path: req.path,
          ...(dropped > 0 ? { suppressed: dropped } : {}),
        },
        "request rejected with a client error",
      );
    }
  } else if (databaseUnavailable) {
    const dropped = databaseErrorLogLimit.take();
    if (dropped !== null) {
      logger.error(
        {
          event: "http.database_unavailable",
          ...summarizeError(error),
          path: req.path,
          ...(dropped > 0 ? { suppressed: dropped } : {}),
        },
        "request failed because the database is unavailable",
      );
    }
  } else {
    logger.error(
      { event: "http.unhandled_error", err: error, path: req.path },
      "request failed",
    );
  }

  if (res.headersSent) {
    next(error);
    return;
  }
  if (clientStatus !== null) {
    sendError(req, res, clientStatus, describeClientError(error, clientStatus));
  } else if (databaseUnavailable) {
    res.set("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
    sendError(req, res, 503, DATABASE_UNAVAILABLE);
  } else {
    sendError(req, res, 500, INTERNAL_ERROR);
  }
};

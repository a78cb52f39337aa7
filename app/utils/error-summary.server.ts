/** The parts of an error that log lines may carry, as top-level log fields. */
export type ErrorSummary = { errorMessage: string; errorCode?: unknown };

/**
 * Returns only the message and code of an error, for log lines that must
 * not serialize the whole object. pg-pool 3, for one, sets `client` on the
 * error of an idle connection, and that client contains the backend's
 * cancel key and the connection parameters. Spread the result into the log
 * object: the logger redacts any field named `code` (see REDACTED_PATHS in
 * logger.server.ts), and pino's `err` serializer would add a stack.
 */
export function summarizeError(error: unknown): ErrorSummary {
  if (!(error instanceof Error)) return { errorMessage: String(error) };
  const code = (error as { code?: unknown }).code;
  return code === undefined
    ? { errorMessage: error.message }
    : { errorMessage: error.message, errorCode: code };
}

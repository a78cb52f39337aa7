/** The parts of an error that log lines may carry. */
export type ErrorSummary = { message: string; code?: unknown };

/**
 * Returns only the message and code of an error, for log lines that must
 * not serialize the whole object. pg-pool 3, for one, sets `client` on the
 * error of an idle connection, and that client contains the backend's cancel
 * key and the connection parameters. Log it under `error`, not `err`:
 * pino's err serializer would add `"type": "Object"`.
 */
export function summarizeError(error: unknown): ErrorSummary {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return code === undefined
    ? { message: error.message }
    : { message: error.message, code };
}

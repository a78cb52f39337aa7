/**
 * Body of a page error: what went wrong and what to do, plus the ID of the
 * request that failed. The root error boundary shows both.
 */
export type HttpErrorBody = { message: string; requestId?: string };

/** Reads an error body of either shape: an httpError body or plain text. */
export function readHttpErrorBody(data: unknown): HttpErrorBody | null {
  if (typeof data === "string") return data ? { message: data } : null;
  if (
    typeof data === "object" &&
    data !== null &&
    typeof (data as HttpErrorBody).message === "string"
  ) {
    const { message, requestId } = data as HttpErrorBody;
    return {
      message,
      requestId: typeof requestId === "string" ? requestId : undefined,
    };
  }
  return null;
}

import type { HttpErrorBody } from "./http-error";
import { requestStorage } from "./request-store.server";

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
};

/**
 * Returns an error response for a loader or action to throw. The body
 * carries this request's ID because, after a client-side navigation, the
 * page's own request ID belongs to an earlier request.
 */
export function httpError(status: number, message: string): Response {
  const body: HttpErrorBody = {
    message,
    requestId: requestStorage.getStore()?.requestId,
  };
  return new Response(JSON.stringify(body), {
    status,
    statusText: STATUS_TEXT[status] ?? "",
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

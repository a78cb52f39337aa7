import type { AppLoadContext } from "@remix-run/node";

import { logger } from "./logger.server";

/**
 * Returns a JSON error response with the body `{ error, requestId }`, the
 * shape every /api/v1 error uses.
 */
export function apiError(
  status: number,
  message: string,
  context: Pick<AppLoadContext, "requestId">,
  headers?: HeadersInit,
): Response {
  const responseHeaders = new Headers(headers);
  responseHeaders.set("Content-Type", "application/json; charset=utf-8");
  return new Response(
    JSON.stringify({ error: message, requestId: context.requestId }),
    { status, headers: responseHeaders },
  );
}

/** Returns the 405 response for a method a resource route does not support. */
export function methodNotAllowed(
  request: Request,
  allowedMethods: readonly string[],
  context: Pick<AppLoadContext, "requestId">,
): Response {
  return apiError(
    405,
    `Method ${request.method} is not allowed here; use ${allowedMethods.join(" or ")}.`,
    context,
    { Allow: allowedMethods.join(", ") },
  );
}

/** Throws a 405 response with an Allow header unless the method is listed. */
export function requireMethod(
  request: Request,
  allowedMethods: readonly string[],
  context: Pick<AppLoadContext, "requestId">,
): void {
  if (!allowedMethods.includes(request.method)) {
    throw methodNotAllowed(request, allowedMethods, context);
  }
}

/**
 * Returns the request's media type (Content-Type without parameters, lower
 * case). Throws a 415 response unless it is one of `acceptedTypes`.
 */
export function requireContentType(
  request: Request,
  acceptedTypes: readonly string[],
  context: Pick<AppLoadContext, "requestId">,
): string {
  const header = request.headers.get("content-type") ?? "";
  const mediaType = header.split(";")[0]!.trim().toLowerCase();
  if (!acceptedTypes.includes(mediaType)) {
    throw apiError(
      415,
      `Content-Type ${mediaType ? `"${mediaType}"` : "(missing)"} is not supported; send ${acceptedTypes.join(" or ")}.`,
      context,
    );
  }
  return mediaType;
}

/**
 * Reads the request body as UTF-8 text. Throws a 413 response as soon as it
 * exceeds `maxBytes`, by Content-Length or while streaming, and stops
 * reading there, so at most `maxBytes` plus one chunk is held in memory.
 */
export async function readBodyText(
  request: Request,
  maxBytes: number,
  context: Pick<AppLoadContext, "requestId">,
): Promise<string> {
  const tooLarge = () =>
    apiError(
      413,
      `The request body exceeds the limit of ${maxBytes} bytes.`,
      context,
    );
  const declaredLength = Number(request.headers.get("content-length"));
  if (declaredLength > maxBytes) throw tooLarge();
  if (!request.body) return "";

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      // Cancelling would destroy the socket before the 413 is sent, so the
      // rest of the body is left unread instead.
      reader.releaseLock();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Runs an /api/v1 handler. A thrown Response is returned as is, and any
 * other error is logged and becomes a JSON 500 with the request ID and no
 * error details.
 */
export async function handleApiErrors(
  context: Pick<AppLoadContext, "requestId">,
  handler: () => Promise<Response>,
): Promise<Response> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof Response) return error;
    logger.error({ event: "api.error", err: error }, "API request failed");
    return apiError(500, "Internal server error", context);
  }
}

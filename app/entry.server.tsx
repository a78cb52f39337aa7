import { PassThrough } from "node:stream";

import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";

import { NonceProvider } from "./utils/nonce";
import { RequestIdProvider } from "./utils/request-id";
import { logger } from "./utils/logger.server";

const ABORT_DELAY_MS = 5_000;

export const streamTimeout = ABORT_DELAY_MS;

/**
 * Logs errors from loaders and actions once, with the request ID. Aborted
 * requests are the client's doing and are not errors.
 */
export function handleError(
  error: unknown,
  { request }: { request: Request },
): void {
  if (request.signal.aborted) return;
  // Unmatched URLs and other 4xx route responses are the client's mistake,
  // logged by the request log line, not server errors.
  if (isRouteErrorResponse(error) && error.status < 500) return;
  logger.error(
    { event: "remix.error", err: error, method: request.method },
    "route failed",
  );
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce;
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RequestIdProvider value={loadContext.requestId}>
          <RemixServer
            context={remixContext}
            url={request.url}
            abortDelay={ABORT_DELAY_MS}
            nonce={nonce}
          />
        </RequestIdProvider>
      </NonceProvider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) {
            logger.error(
              { event: "render.error", err: error },
              "render failed",
            );
          }
        },
      },
    );
    setTimeout(abort, ABORT_DELAY_MS + 1_000);
  });
}

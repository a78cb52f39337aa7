import { createRequire } from "node:module";
import { Readable } from "node:stream";

import type { Request, Response } from "express";

import type { HttpErrorBody } from "../app/utils/http-error";

// Remix's client decodes `.data` responses (client-side navigations, form
// submissions and fetchers) only as turbo-stream. Any other body becomes a
// generic "Unable to decode turbo-stream response" error. The encoder and the error class are taken
// from the copy of @remix-run/server-runtime that serves the pages, because
// the encoder recognises an error response by `instanceof` its own class.
const runtimeRequire = createRequire(
  createRequire(import.meta.url).resolve("@remix-run/server-runtime"),
);
const { encodeViaTurboStream } = runtimeRequire("./single-fetch.js") as {
  encodeViaTurboStream: (
    data: unknown,
    signal: AbortSignal,
    streamTimeout: number | undefined,
    serverMode: "production",
  ) => ReadableStream<Uint8Array>;
};
const { UNSAFE_ErrorResponseImpl: ErrorResponseImpl } = runtimeRequire(
  "@remix-run/router",
) as {
  UNSAFE_ErrorResponseImpl: new (
    status: number,
    statusText: string,
    data: unknown,
  ) => object;
};

/** Returns whether the request is one of Remix's single-fetch data requests. */
export function isRemixDataRequest(req: Request): boolean {
  return req.path.endsWith(".data");
}

/**
 * Sends an error as the response to a Remix data request, so the page's
 * error boundary shows its message and request ID. An action request
 * (POST) gets one result. A loader request (GET) gets one per route, keyed
 * by the route IDs listed in its `_routes` parameter, or by the root route.
 */
export function sendDataRequestError(
  req: Request,
  res: Response,
  status: number,
  statusText: string,
  body: HttpErrorBody,
): void {
  const error = new ErrorResponseImpl(status, statusText, body);
  let result: unknown;
  if (req.method === "GET" || req.method === "HEAD") {
    const routes = req.query._routes;
    const routeIds =
      typeof routes === "string" && routes !== ""
        ? routes.split(",")
        : ["root"];
    result = Object.fromEntries(routeIds.map((id) => [id, { error }]));
  } else {
    result = { error };
  }
  const controller = new AbortController();
  res.on("close", () => controller.abort());
  const stream = encodeViaTurboStream(
    result,
    controller.signal,
    undefined,
    "production",
  );
  res
    .status(status)
    .set("Content-Type", "text/x-script")
    .set("X-Remix-Response", "yes");
  Readable.fromWeb(stream as import("node:stream/web").ReadableStream).pipe(
    res,
  );
}

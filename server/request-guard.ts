import type { RequestHandler, Response } from "express";

import { logger } from "../app/utils/logger.server";
import { escapeHtml } from "../app/utils/html";
import { isRemixDataRequest, sendDataRequestError } from "./data-request-error";

/** Largest urlencoded form body a page accepts, in bytes. */
export const FORM_BODY_LIMIT_BYTES = 1024 * 1024;
/** Largest multipart body, in bytes: the 10 MB CSV upload plus form fields. */
export const MULTIPART_BODY_LIMIT_BYTES = 11 * 1024 * 1024;

const PAGE_METHODS = new Set(["GET", "HEAD", "POST"]);

function rejectPage(
  res: Response,
  status: number,
  title: string,
  message: string,
): void {
  logger.warn(
    { event: "http.request_rejected", status, reason: title },
    "request rejected before routing",
  );
  if (isRemixDataRequest(res.req)) {
    res.set("Cache-Control", "no-store");
    sendDataRequestError(res.req, res, status, title, {
      message,
      requestId: res.locals.requestId,
    });
    return;
  }
  res
    .status(status)
    .set("Cache-Control", "no-store")
    .type("html")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Dokodo</title></head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p>Request ID: <code>${escapeHtml(String(res.locals.requestId))}</code></p></main></body></html>`,
    );
}

/**
 * Rejects page requests that no Dokodo form sends, before Remix reads them.
 * These are a NUL character in the URL (PostgreSQL text cannot hold it),
 * methods other than GET, HEAD and POST, POST bodies that are not an HTML
 * form, bodies without a Content-Length, and bodies over the size limits. /api/v1 routes check
 * their own methods and bodies.
 */
export const guardPageRequest: RequestHandler = (req, res, next) => {
  // A NUL inside a form body is rejected by readCheckedForm
  // (app/utils/csrf.server.ts) instead, because Remix must read the body
  // stream itself.
  if (/%00|\u0000/i.test(req.originalUrl)) {
    rejectPage(
      res,
      400,
      "Invalid address",
      "The address contains a NUL character (%00). Remove it and try again.",
    );
    return;
  }
  if (req.path.startsWith("/api/")) {
    next();
    return;
  }
  if (!PAGE_METHODS.has(req.method)) {
    res.set("Allow", "GET, HEAD, POST");
    rejectPage(
      res,
      405,
      "Method not allowed",
      `Pages accept GET and POST only, not ${req.method}.`,
    );
    return;
  }
  if (req.method !== "POST") {
    next();
    return;
  }

  const contentType = (req.get("content-type") ?? "").toLowerCase();
  const urlencoded = contentType.startsWith(
    "application/x-www-form-urlencoded",
  );
  const multipart = contentType.startsWith("multipart/form-data");
  if (!urlencoded && !multipart) {
    rejectPage(
      res,
      415,
      "Unsupported form encoding",
      "Forms must be sent as application/x-www-form-urlencoded or multipart/form-data. Submit the form from its Dokodo page.",
    );
    return;
  }
  if (multipart && !/;\s*boundary=[^;\s]+/.test(contentType)) {
    rejectPage(
      res,
      400,
      "Invalid form",
      "The multipart form has no boundary. Submit the form from its Dokodo page.",
    );
    return;
  }

  // Browsers send every form submission, and Remix every fetch it makes for
  // a form, with Content-Length. A body without one (chunked transfer
  // coding) could grow past the limits below unseen, so it is rejected.
  if (req.get("transfer-encoding") !== undefined) {
    rejectPage(
      res,
      411,
      "Length required",
      "The form was sent without a Content-Length header. Submit the form from its Dokodo page.",
    );
    return;
  }

  const limit = multipart ? MULTIPART_BODY_LIMIT_BYTES : FORM_BODY_LIMIT_BYTES;
  const declaredLength = Number(req.get("content-length") ?? "0");
  if (declaredLength > limit) {
    rejectPage(
      res,
      413,
      "Form too large",
      `The form is larger than ${Math.round(limit / 1024 / 1024)} MB. Shorten the longest fields and submit it again.`,
    );
    return;
  }
  next();
};

import type { Request, RequestHandler } from "express";

import type { Env } from "../app/utils/env.server";
import { LogRateLimiter } from "../app/utils/log-rate-limit.server";
import { logger } from "../app/utils/logger.server";
import { escapeHtml } from "../app/utils/html";
import { isRemixDataRequest, sendDataRequestError } from "./data-request-error";

/**
 * Paths that accept cross-site POSTs by design and are exempt from the
 * origin check: Stripe's webhook (verified by its signature) and the CSP
 * report endpoint (browsers send reports without a usable Origin).
 */
export const ORIGIN_CHECK_EXEMPT_PATHS: ReadonlySet<string> = new Set([
  "/api/v1/payments/webhooks/stripe",
  "/api/v1/csp-report",
]);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Body types a cross-site page can POST without a CORS preflight. */
const SIMPLE_BODY_TYPES = new Set([
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "text/plain",
]);

/** Reason for rejecting a state-changing request. */
export type OriginRejection =
  "foreign_origin" | "cross_site_fetch" | "foreign_referer" | "missing_origin";

/** Returns whether `path` is under the JSON API. */
export function isApiPath(path: string): boolean {
  return path === "/api/v1" || path.startsWith("/api/v1/");
}

function originOfUrl(value: string): string | null {
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * Returns whether a browser could send this request from another site
 * without a CORS preflight, as an HTML form or no-cors fetch can.
 */
function isPreflightFree(req: Request): boolean {
  if (req.method !== "POST") return false;
  const contentType = req.get("content-type");
  if (!contentType) return true;
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  return SIMPLE_BODY_TYPES.has(mediaType);
}

/**
 * Decides whether a state-changing request came from one of our own pages.
 * Returns null to accept it, otherwise the reason to reject it.
 *
 * Rules, in order:
 * - An Origin header must be APP_ORIGIN, or for /api/v1 an origin listed in
 *   CORS_ALLOWED_ORIGINS. "null" never matches.
 * - Sec-Fetch-Site: cross-site is rejected unless the Origin is a listed
 *   CORS origin.
 * - Without Origin, the Referer's origin must match the same way.
 * - Without both, page routes reject: every current browser sends Origin on
 *   a POST, so a request without it comes from a script or an old browser
 *   whose Referer was suppressed, which is what a CSRF attack needs.
 *   /api/v1 accepts such a request only when no browser could have sent it
 *   cross-site without a CORS preflight (a method other than POST or a body
 *   type other than a form's), which leaves room for non-browser clients.
 */
export function evaluateRequestOrigin(
  req: Request,
  env: Pick<Env, "APP_ORIGIN" | "CORS_ALLOWED_ORIGINS">,
): OriginRejection | null {
  const api = isApiPath(req.path);
  const appOrigin = new URL(env.APP_ORIGIN).origin;
  const isCorsOrigin = (origin: string) =>
    api && env.CORS_ALLOWED_ORIGINS.includes(origin);
  const isTrusted = (origin: string) =>
    origin === appOrigin || isCorsOrigin(origin);

  const origin = req.get("origin");
  const crossSite = req.get("sec-fetch-site") === "cross-site";
  if (origin !== undefined) {
    if (!isTrusted(origin)) return "foreign_origin";
    if (crossSite && !isCorsOrigin(origin)) return "cross_site_fetch";
    return null;
  }
  if (crossSite) return "cross_site_fetch";

  const referer = req.get("referer");
  if (referer !== undefined) {
    const refererOrigin = originOfUrl(referer);
    return refererOrigin && isTrusted(refererOrigin) ? null : "foreign_referer";
  }
  if (api && !isPreflightFree(req)) return null;
  return "missing_origin";
}

/** Renders the 403 page shown when a form submission fails the origin check. */
function renderRejectionPage(appOrigin: string, requestId: string): string {
  const origin = escapeHtml(appOrigin);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Form not accepted · Dokodo</title>
</head>
<body>
<main>
<h1>Form not accepted</h1>
<p>Dokodo accepts changes only from its own pages, and this request did not show that it came from one. Nothing was changed.</p>
<p>Go back, reload the page and submit the form again. If this keeps happening, open Dokodo at <a href="${origin}/">${origin}</a> and try from there.</p>
<p>Request ID: <code>${escapeHtml(requestId)}</code></p>
</main>
</body>
</html>
`;
}

const MAX_LOGGED_HEADER_LENGTH = 200;

/**
 * Rejects state-changing requests (every method but GET, HEAD and OPTIONS)
 * that fail evaluateRequestOrigin, before any route runs, with a 403: an
 * HTML page for pages and JSON for /api/v1. This complements the CSRF
 * token each action checks. Logging is capped at 60 lines a minute.
 */
export function checkRequestOrigin(env: Env): RequestHandler {
  const logLimiter = new LogRateLimiter(60, 60_000);
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (ORIGIN_CHECK_EXEMPT_PATHS.has(req.path.replace(/\/$/, ""))) {
      return next();
    }
    const rejection = evaluateRequestOrigin(req, env);
    if (rejection === null) return next();

    const suppressed = logLimiter.take();
    if (suppressed !== null) {
      logger.warn(
        {
          event: "origin_check.rejected",
          reason: rejection,
          method: req.method,
          path: req.path,
          origin: req.get("origin")?.slice(0, MAX_LOGGED_HEADER_LENGTH),
          secFetchSite: req.get("sec-fetch-site"),
          ...(suppressed > 0 ? { suppressed } : {}),
        },
        "cross-site request rejected",
      );
    }

    const requestId = res.locals.requestId;
    res.status(403).set("Cache-Control", "no-store");
    if (isRemixDataRequest(req)) {
      sendDataRequestError(req, res, 403, "Forbidden", {
        message: `Dokodo accepts changes only from its own pages, and this request did not show that it came from one. Nothing was changed. Open Dokodo at ${env.APP_ORIGIN}/ and submit the form again.`,
        requestId,
      });
    } else if (isApiPath(req.path)) {
      res.json({
        error:
          "Cross-site request rejected: send it from a page of this site or from an allowed origin.",
        requestId,
      });
    } else {
      res.type("html").send(renderRejectionPage(env.APP_ORIGIN, requestId));
    }
  };
}

import { createHash, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import cors from "cors";
import express from "express";
import type { RequestHandler } from "express";
import helmet from "helmet";

import {
  API_DEPRECATIONS,
  markApiVersionDeprecated,
} from "../app/utils/api-version.server";
import type { Env } from "../app/utils/env.server";
import { logger } from "../app/utils/logger.server";
import { requestStorage } from "../app/utils/request-store.server";
import { handleUnexpectedError } from "./error-handler";
import { handleLiveness, handleReadiness } from "./health";
import { guardPageRequest } from "./request-guard";
import { checkRequestOrigin } from "./request-origin";
import { createThrottleMiddleware } from "./throttle/middleware";

const PUBLIC_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "public",
);

declare global {
  namespace Express {
    interface Locals {
      requestId: string;
      cspNonce: string;
    }
  }
}

/** Strips the IPv4-mapped IPv6 prefix so one client has one address. */
function normalizeIp(address: string | undefined): string {
  if (!address) return "unknown";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * Gives every request a server-generated ID, returned in X-Request-ID and
 * attached to every log line written while the request runs. An incoming
 * X-Request-ID is ignored so clients cannot forge log correlation.
 */
const assignRequestId: RequestHandler = (_req, res, next) => {
  const requestId = randomUUID();
  res.locals.requestId = requestId;
  res.setHeader("X-Request-ID", requestId);
  requestStorage.run({ requestId }, next);
};

/** Writes one JSON line per finished request. Query strings may hold tokens, so only the path is logged. */
const logRequest: RequestHandler = (req, res, next) => {
  const started = process.hrtime.bigint();
  const store = requestStorage.getStore();
  res.on("finish", () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logger.info(
      {
        event: "http.request",
        requestId: res.locals.requestId,
        userId: store?.userId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      },
      "request finished",
    );
  });
  next();
};

/** Assigns each response a fresh 128-bit nonce, which every script on the page carries. */
const assignNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString("base64");
  next();
};

/** The reporting endpoint name that CSP's report-to directive refers to. */
const CSP_REPORT_GROUP = "csp-endpoint";
const CSP_REPORT_PATH = "/api/v1/csp-report";

/**
 * Hash of the only inline style the pages contain, the `style="display:none"`
 * that remix-utils puts on honeypot fields. CSP allows a style attribute by
 * hash only together with 'unsafe-hashes', and every other inline style
 * stays blocked.
 */
const HONEYPOT_STYLE_HASH = `'sha256-${createHash("sha256")
  .update("display:none")
  .digest("base64")}'`;

function securityHeaders(env: Env): RequestHandler {
  const production = env.NODE_ENV === "production";
  const imageSources = ["'self'", "data:", "blob:"];
  if (env.PHOTO_STORAGE_ORIGIN) imageSources.push(env.PHOTO_STORAGE_ORIGIN);
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": [
          (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce}'`,
          "'strict-dynamic'",
        ],
        "style-src": ["'self'", "'unsafe-hashes'", HONEYPOT_STYLE_HASH],
        "img-src": imageSources,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": [
          "'self'",
          "https://checkout.stripe.com",
          "https://billing.stripe.com",
        ],
        "upgrade-insecure-requests": production ? [] : null,
        "report-uri": [CSP_REPORT_PATH],
        "report-to": [CSP_REPORT_GROUP],
      },
    },
    strictTransportSecurity: production
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    xFrameOptions: { action: "deny" },
    referrerPolicy: { policy: "strict-origin-when-cross-origin" },
    crossOriginOpenerPolicy: { policy: "same-origin" },
    crossOriginEmbedderPolicy: false,
  });
}

/** Sets Permissions-Policy and Reporting-Endpoints, which helmet does not set. */
const setPolicyHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader(
    "Permissions-Policy",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  );
  // Relative to the response URL, so reports go to the site that was shown.
  res.setHeader(
    "Reporting-Endpoints",
    `${CSP_REPORT_GROUP}="${CSP_REPORT_PATH}"`,
  );
  next();
};

/**
 * In production behind a proxy (TRUST_PROXY of 1 or more), redirects a
 * request that the proxy received over plain HTTP to the same path on
 * APP_ORIGIN: 301 for GET and HEAD, 308 for other methods so they are not
 * turned into GETs. The target comes from APP_ORIGIN, never from Host. A
 * request without X-Forwarded-Proto passes, so health probes that reach the
 * app directly are not redirected.
 */
function redirectToHttps(env: Env): RequestHandler {
  return (req, res, next) => {
    if (env.NODE_ENV !== "production" || env.TRUST_PROXY < 1) return next();
    // Express reads X-Forwarded-Proto only from a trusted hop.
    if (req.get("x-forwarded-proto") === undefined || req.protocol !== "http") {
      return next();
    }
    // An absolute-form request target ("GET http://host/path") is not a
    // path, so it goes to the start page instead.
    const path = req.originalUrl.startsWith("/") ? req.originalUrl : "/";
    const status = req.method === "GET" || req.method === "HEAD" ? 301 : 308;
    res.redirect(status, `${new URL(env.APP_ORIGIN).origin}${path}`);
  };
}

/**
 * CORS for /api/v1: only origins listed in CORS_ALLOWED_ORIGINS get
 * Access-Control-Allow-Origin, always as the exact origin (never "*"), with
 * credentials. Other origins get no CORS headers, so browsers block them.
 */
function apiCors(env: Env): RequestHandler {
  return cors({
    origin: (origin, callback) =>
      callback(
        null,
        origin !== undefined && env.CORS_ALLOWED_ORIGINS.includes(origin),
      ),
    credentials: true,
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["Content-Type"],
    maxAge: 600,
  });
}

/** Adds Deprecation, Sunset and Link headers to responses of a deprecated API version. */
const markDeprecatedApiVersion: RequestHandler = (req, res, next) => {
  const version = req.path.split("/")[1] ?? "";
  const deprecation = API_DEPRECATIONS.get(version);
  if (deprecation) {
    const headers = new Headers();
    markApiVersionDeprecated(headers, deprecation);
    headers.forEach((value, name) => res.append(name, value));
  }
  next();
};

/**
 * Prepares a request for Remix. Responses default to Cache-Control:
 * no-store, because pages and data show account data. The Remix adapter
 * appends any Cache-Control a route sets, and no-store then still wins.
 * Host is replaced by APP_ORIGIN's host and X-Forwarded-Host is dropped, so
 * the request.url that routes see, and any link or redirect built from it,
 * never comes from a forged header.
 */
function prepareRemixRequest(env: Env): RequestHandler {
  return (req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    req.headers.host = new URL(env.APP_ORIGIN).host;
    delete req.headers["x-forwarded-host"];
    next();
  };
}

type AppOptions = {
  env: Env;
  build: ServerBuild;
};

/**
 * Builds the Express application. The middleware order below is the request
 * pipeline: proxy trust, request ID, nonce and security headers (so every
 * response carries them), health checks, compression, request log, HTTPS
 * redirect, API CORS and deprecation headers, origin check, static files,
 * then Remix. Middleware reads `env` per request, because tests set
 * APP_ORIGIN once the port is known.
 */
export function createApp({ env, build }: AppOptions): express.Express {
  const app = express();

  app.disable("x-powered-by");
  // A hop count, never `true`: with TRUST_PROXY=0 X-Forwarded-For is ignored.
  app.set("trust proxy", env.TRUST_PROXY === 0 ? false : env.TRUST_PROXY);

  app.use(assignRequestId);
  app.use(assignNonce);
  app.use(securityHeaders(env));
  app.use(setPolicyHeaders);

  app.get("/healthz", handleLiveness);
  app.get("/readyz", handleReadiness);

  app.use(compression());

  app.use(logRequest);
  app.use(redirectToHttps(env));
  app.use("/api/v1", apiCors(env));
  app.use("/api", markDeprecatedApiVersion);
  app.use(guardPageRequest);
  app.use(checkRequestOrigin(env));
  app.use(createThrottleMiddleware(env));

  app.use(
    "/build",
    express.static(path.join(PUBLIC_DIR, "build"), {
      immutable: true,
      maxAge: "1y",
      index: false,
    }),
  );
  app.use(express.static(PUBLIC_DIR, { maxAge: "1h", index: false }));

  app.use(prepareRemixRequest(env));
  app.all(
    "*",
    createRequestHandler({
      build,
      // Always production mode: development mode sends error messages and
      // stack traces to the browser, and nothing here uses its live reload.
      mode: "production",
      getLoadContext: (req, res) => ({
        requestId: res.locals.requestId,
        clientIp: normalizeIp(req.ip),
        cspNonce: res.locals.cspNonce,
      }),
    }),
  );

  app.use(handleUnexpectedError);
  return app;
}

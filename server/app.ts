import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import type { ErrorRequestHandler, RequestHandler } from "express";
import helmet from "helmet";

import type { Env } from "../app/utils/env.server";
import { logger } from "../app/utils/logger.server";
import { requestStorage } from "../app/utils/request-store.server";
import { handleLiveness, handleReadiness } from "./health";

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

const assignNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(16).toString("base64");
  next();
};

function securityHeaders(env: Env): RequestHandler {
  const production = env.NODE_ENV === "production";
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": [
          (_req, res) =>
            `'nonce-${(res as express.Response).locals.cspNonce}'`,
          "'strict-dynamic'",
        ],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
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
        "report-uri": ["/api/v1/csp-report"],
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

const setPermissionsPolicy: RequestHandler = (_req, res, next) => {
  res.setHeader(
    "Permissions-Policy",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  );
  next();
};

function renderErrorPage(requestId: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong · Dokodo</title></head><body><main><h1>Something went wrong</h1><p>The server could not finish this request. Try again in a moment.</p><p>Request ID: <code>${requestId}</code></p></main></body></html>`;
}

/** Last resort for errors outside Remix's own error boundaries. Never sends a stack trace. */
const handleUnexpectedError: ErrorRequestHandler = (error, req, res, next) => {
  logger.error(
    { event: "http.unhandled_error", err: error, path: req.path },
    "request failed",
  );
  if (res.headersSent) {
    next(error);
    return;
  }
  const requestId = res.locals.requestId;
  res.status(500).set("Cache-Control", "no-store");
  if (req.path.startsWith("/api/")) {
    res.json({ error: "Internal server error", requestId });
  } else {
    res.type("html").send(renderErrorPage(requestId));
  }
};

type AppOptions = {
  env: Env;
  build: ServerBuild;
};

/**
 * Builds the Express application. The middleware order below is the request
 * pipeline: proxy trust, request ID, health checks, compression, request
 * log, nonce, security headers, static files, then Remix.
 */
export function createApp({ env, build }: AppOptions): express.Express {
  const app = express();

  app.disable("x-powered-by");
  // A hop count, never `true`: with TRUST_PROXY=0 X-Forwarded-For is ignored.
  app.set("trust proxy", env.TRUST_PROXY === 0 ? false : env.TRUST_PROXY);

  app.use(assignRequestId);

  app.get("/healthz", handleLiveness);
  app.get("/readyz", handleReadiness);

  app.use(compression());

  app.use(logRequest);
  app.use(assignNonce);
  app.use(securityHeaders(env));
  app.use(setPermissionsPolicy);

  app.use(
    "/build",
    express.static(path.join(PUBLIC_DIR, "build"), {
      immutable: true,
      maxAge: "1y",
      index: false,
    }),
  );
  app.use(express.static(PUBLIC_DIR, { maxAge: "1h", index: false }));

  app.all(
    "*",
    createRequestHandler({
      build,
      mode: env.NODE_ENV === "production" ? "production" : "development",
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

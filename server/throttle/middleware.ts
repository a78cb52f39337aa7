import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { Request, RequestHandler, Response } from "express";

import { clientAddressKey } from "../../app/modules/security/keys.server";
import {
  findSignInIpBlock,
  SIGN_IN_PATHS,
} from "../../app/modules/security/lockout.server";
import {
  createThrottlePolicies,
  isExemptRequest,
  normalizeRequestPath,
  pathListMatches,
  policyMatches,
} from "../../app/modules/security/throttle-policies.server";
import type { ThrottleDecision } from "../../app/modules/security/throttle.server";
import {
  consumeThrottle,
  decideThrottle,
  logThrottleRejection,
  rateLimitHeaders,
  renderThrottleRejection,
  throttleMessage,
} from "../../app/modules/security/throttle.server";
import {
  isRemixDataRequest,
  sendDataRequestError,
} from "../data-request-error";
import { throttlePool } from "../../app/modules/security/throttle-pool.server";
import type { Env } from "../../app/utils/env.server";
import { logger } from "../../app/utils/logger.server";

const PUBLIC_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "public",
);

/**
 * Returns the URL path of every file under public/, as express.static
 * serves them. Read once, so files added later (a rebuild without a
 * restart) count against the global policy like any other request.
 */
function listPublicFiles(directory: string): Set<string> {
  const files = new Set<string>();
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true, recursive: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(directory, absolute).split(path.sep);
    files.add(`/${relative.join("/")}`);
  }
  return files;
}

function sendRejection(
  req: Request,
  res: Response,
  retryAfterSeconds: number,
): void {
  if (isRemixDataRequest(req)) {
    res
      .set("Retry-After", String(retryAfterSeconds))
      .set("Cache-Control", "no-store");
    sendDataRequestError(req, res, 429, "Too Many Requests", {
      message: throttleMessage(retryAfterSeconds),
      requestId: res.locals.requestId,
    });
    return;
  }
  const rejection = renderThrottleRejection({
    path: req.path,
    requestId: res.locals.requestId,
    retryAfterSeconds,
  });
  res
    .status(429)
    .set("Retry-After", String(retryAfterSeconds))
    .set("Cache-Control", "no-store")
    .type(rejection.contentType)
    .send(rejection.body);
}

/**
 * Returns the Express middleware that applies the client-address policies
 * of the throttle table before Remix runs. It never reads the body. Every
 * counted response carries RateLimit-Policy and RateLimit; a request over a
 * limit, or a sign-in POST from a blocked address, gets a 429 with
 * Retry-After. Exempt: GET and HEAD of files in public/ (by exact path) and
 * the requests in THROTTLE_EXEMPTIONS. The client address is `req.ip`, which
 * honours only the TRUST_PROXY hops of X-Forwarded-For. When the database
 * fails, the error goes to the error handler (server/error-handler.ts: a
 * 503 when the connection failed, a 500 otherwise), so no request passes
 * unthrottled.
 */
export function createThrottleMiddleware(env: Env): RequestHandler {
  const policies = createThrottlePolicies(env).filter(
    (policy) => policy.key === "ip",
  );
  const publicFiles = listPublicFiles(PUBLIC_DIR);

  return async (req, res, next) => {
    const isRead = req.method === "GET" || req.method === "HEAD";
    if (isRead && publicFiles.has(req.path)) return next();
    const normalizedPath = normalizeRequestPath(req.path);
    if (isExemptRequest(req.method, normalizedPath)) return next();

    try {
      const ipKey = clientAddressKey(req.ip);
      const matching = policies.filter((policy) =>
        policyMatches(policy, req.method, normalizedPath),
      );
      const decision: ThrottleDecision = decideThrottle(
        await consumeThrottle(
          throttlePool,
          matching.map((policy) => ({ policy, key: ipKey })),
        ),
      );
      for (const [name, value] of rateLimitHeaders(decision.results)) {
        res.setHeader(name, value);
      }
      if (!decision.allowed) {
        logThrottleRejection(decision, { method: req.method, path: req.path });
        sendRejection(req, res, decision.retryAfterSeconds);
        return;
      }

      if (
        req.method === "POST" &&
        pathListMatches(SIGN_IN_PATHS, normalizedPath)
      ) {
        const block = await findSignInIpBlock(ipKey);
        if (block) {
          logger.debug(
            { event: "sign_in.address_rejected", ip: ipKey, path: req.path },
            "sign-in from a blocked client address rejected",
          );
          sendRejection(req, res, block.retryAfterSeconds);
          return;
        }
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

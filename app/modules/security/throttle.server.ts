import type { AppLoadContext } from "@remix-run/node";

import { Prisma } from "../../generated/prisma/client";
import type pg from "pg";

import { getEnv } from "../../utils/env.server";
import { logger } from "../../utils/logger.server";
import { emailHashForLog, hashEmail, normalizeEmail } from "./keys.server";
import { throttlePool } from "./throttle-pool.server";
import type {
  ThrottlePolicy,
  ThrottlePolicyName,
} from "./throttle-policies.server";
import {
  createThrottlePolicies,
  findThrottlePolicy,
  normalizeRequestPath,
} from "./throttle-policies.server";
import { escapeHtml } from "../../utils/html";

/**
 * The database clock at the start of the statement, truncated to the
 * millisecond precision of the timestamptz(3) columns, so a window stored as
 * now + 60 s is exactly 60 s long.
 */
export const DATABASE_NOW = Prisma.raw(
  "date_trunc('milliseconds', statement_timestamp())",
);

/** The part of a pg pool the store needs; the benchmark passes its own. */
export type ThrottleDatabase = Pick<pg.Pool, "query">;

/** One counter to increment: a policy and the client, user or email key. */
export type ThrottleCheck = { policy: ThrottlePolicy; key: string };

/** The state of one counter right after a request was counted. */
export type ThrottleResult = {
  policy: ThrottlePolicy;
  key: string;
  /** Requests counted in the current window, this one included. */
  count: number;
  /** Requests the window still allows after this one. */
  remaining: number;
  /** Whole seconds until the window ends and the count starts again. */
  resetSeconds: number;
  allowed: boolean;
};

/** The outcome of counting one request against one or more policies. */
export type ThrottleDecision = {
  allowed: boolean;
  results: ThrottleResult[];
  /** Seconds until every violated policy admits requests again; 0 if allowed. */
  retryAfterSeconds: number;
};

/** The columns consumeStatement() returns for each counter. */
export type CounterRow = {
  policy: string;
  key: string;
  count: number;
  resetSeconds: number;
};

/** Orders strings by UTF-16 code units, the same on every instance. */
function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function uniqueChecks(
  checks: readonly ThrottleCheck[],
): Map<string, ThrottleCheck> {
  const unique = new Map<string, ThrottleCheck>();
  for (const check of checks) {
    unique.set(`${check.policy.name}\n${check.key}`, check);
  }
  return unique;
}

/**
 * Builds the ONE statement that counts a request against each check and
 * returns the counters' new state (CounterRow). Each row is a fixed window:
 * the first request after `resetAt` starts a new window with count 1. The
 * upsert takes a row lock, so parallel requests on any number of app
 * instances never lose an increment, and window edges come from the
 * database clock, never from the instances' own clocks. The VALUES rows are
 * sorted by policy and key, and PostgreSQL upserts them in that order, so
 * two statements never wait on each other's row locks in opposite order.
 * `checks` must not be empty.
 */
export function consumeStatement(checks: readonly ThrottleCheck[]): Prisma.Sql {
  const sorted = [...uniqueChecks(checks).entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([, check]) => check);
  const values = Prisma.join(
    sorted.map(
      ({ policy, key }) =>
        Prisma.sql`(${policy.name}, ${key}, 1, ${DATABASE_NOW} + make_interval(secs => ${policy.windowSeconds}::integer))`,
    ),
  );
  return Prisma.sql`
    INSERT INTO "ThrottleCounter" AS counter ("policy", "key", "count", "resetAt")
    VALUES ${values}
    ON CONFLICT ("policy", "key") DO UPDATE SET
      "count" = CASE
        WHEN counter."resetAt" <= ${DATABASE_NOW} THEN 1
        ELSE counter."count" + 1
      END,
      "resetAt" = CASE
        WHEN counter."resetAt" <= ${DATABASE_NOW} THEN EXCLUDED."resetAt"
        ELSE counter."resetAt"
      END
    RETURNING "policy", "key", "count",
      CEIL(EXTRACT(EPOCH FROM "resetAt" - ${DATABASE_NOW}))::integer
        AS "resetSeconds"`;
}

/** Turns the rows of consumeStatement() into results for `checks`. */
export function toThrottleResults(
  checks: readonly ThrottleCheck[],
  rows: readonly CounterRow[],
): ThrottleResult[] {
  const unique = uniqueChecks(checks);
  return rows.map((row) => {
    const { policy } = unique.get(`${row.policy}\n${row.key}`)!;
    return {
      policy,
      key: row.key,
      count: row.count,
      remaining: Math.max(0, policy.limit - row.count),
      resetSeconds: Math.max(0, row.resetSeconds),
      allowed: row.count <= policy.limit,
    };
  });
}

/**
 * Counts one request against each check with consumeStatement(), in one
 * round trip, and returns the counters' new state. The statement is named
 * after its row count, so each connection plans each shape once.
 */
export async function consumeThrottle(
  db: ThrottleDatabase,
  checks: readonly ThrottleCheck[],
): Promise<ThrottleResult[]> {
  if (checks.length === 0) return [];
  const statement = consumeStatement(checks);
  const result = await db.query<CounterRow>({
    name: `dokodo-throttle-consume-${statement.values.length}`,
    text: statement.text,
    values: statement.values,
  });
  return toThrottleResults(checks, result.rows);
}

/** Combines counter results: one violated policy rejects the request. */
export function decideThrottle(results: ThrottleResult[]): ThrottleDecision {
  const violated = results.filter((result) => !result.allowed);
  return {
    allowed: violated.length === 0,
    results,
    retryAfterSeconds:
      violated.length === 0
        ? 0
        : Math.max(1, ...violated.map((result) => result.resetSeconds)),
  };
}

/**
 * Returns the RateLimit-Policy and RateLimit fields of the IETF httpapi
 * ratelimit-headers draft (draft-ietf-httpapi-ratelimit-headers-10), as
 * structured-field lists with one item per policy, for example
 * `"auth";q=10;w=60` and `"auth";r=3;t=42`. A response may carry these
 * fields more than once; clients join the lines into one list.
 */
export function rateLimitHeaders(
  results: readonly ThrottleResult[],
): [string, string][] {
  if (results.length === 0) return [];
  const policies = results.map(
    ({ policy }) =>
      `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`,
  );
  const limits = results.map(
    ({ policy, remaining, resetSeconds }) =>
      `"${policy.name}";r=${remaining};t=${resetSeconds}`,
  );
  return [
    ["RateLimit-Policy", policies.join(", ")],
    ["RateLimit", limits.join(", ")],
  ];
}

/** Returns the message a throttled client gets: that it must wait, and how long. */
export function throttleMessage(retryAfterSeconds: number): string {
  return `Too many requests. Try again in ${retryAfterSeconds} seconds.`;
}

/**
 * Returns the 429 body for a path: JSON `{ error, retryAfter, requestId }`
 * under /api/, a small HTML page with the request ID everywhere else.
 */
export function renderThrottleRejection(options: {
  path: string;
  requestId: string;
  retryAfterSeconds: number;
}): { contentType: string; body: string } {
  const { requestId, retryAfterSeconds } = options;
  const message = throttleMessage(retryAfterSeconds);
  if (normalizeRequestPath(options.path).startsWith("/api/")) {
    return {
      contentType: "application/json; charset=utf-8",
      body: JSON.stringify({
        error: message,
        retryAfter: retryAfterSeconds,
        requestId,
      }),
    };
  }
  return {
    contentType: "text/html; charset=utf-8",
    body:
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
      `<title>Too many requests · Dokodo</title></head><body><main>` +
      `<h1>Too many requests</h1><p>${escapeHtml(message)}</p>` +
      `<p>Request ID: <code>${escapeHtml(requestId)}</code></p>` +
      `</main></body></html>`,
  };
}

/** Every this many rejections of one key in one window, one more warn line. */
const REJECTION_LOG_EVERY = 100;

/**
 * Logs the rejected counters of a request. The first rejection of a key in
 * a window, and every 100th after it, is a warn line. The rest are debug
 * lines, so a flood of requests cannot flood the log. Email keys are logged
 * as a digest prefix only.
 */
export function logThrottleRejection(
  decision: ThrottleDecision,
  request: { method: string; path: string },
): void {
  for (const result of decision.results) {
    if (result.allowed) continue;
    const rejectedInWindow = result.count - result.policy.limit;
    const level =
      rejectedInWindow === 1 || rejectedInWindow % REJECTION_LOG_EVERY === 0
        ? "warn"
        : "debug";
    logger[level](
      {
        event: "throttle.rejected",
        policy: result.policy.name,
        keyType: result.policy.key,
        key:
          result.policy.key === "email"
            ? emailHashForLog(result.key)
            : result.key,
        rejectedInWindow,
        retryAfter: decision.retryAfterSeconds,
        method: request.method,
        path: request.path,
      },
      "request throttled",
    );
  }
}

/** Policies that a route action checks itself, because they need the session or the form. */
export type ActionThrottlePolicyName = Extract<
  ThrottlePolicyName,
  "password-reset-email" | "verification-resend" | "checkout" | "import-upload"
>;

/**
 * Counts one request against an action-checked policy and returns the
 * decision. `subject` is the submitted email for "password-reset-email"
 * (normalized and hashed here) and the signed-in user's ID for the others.
 * Rejections are logged. Use enforceThrottle() to get the 429 response.
 */
export async function checkThrottle(
  name: ActionThrottlePolicyName,
  subject: string,
  request?: Request,
): Promise<ThrottleDecision> {
  const policy = findThrottlePolicy(createThrottlePolicies(getEnv()), name);
  const key =
    policy.key === "email" ? hashEmail(normalizeEmail(subject)) : subject;
  const decision = decideThrottle(
    await consumeThrottle(throttlePool, [{ policy, key }]),
  );
  if (!decision.allowed) {
    logThrottleRejection(decision, {
      method: request?.method ?? "",
      path: request ? new URL(request.url).pathname : "",
    });
  }
  return decision;
}

/**
 * Builds the 429 response for a rejected decision: Retry-After in seconds,
 * the RateLimit fields, no caching, and the JSON or HTML body for the path.
 */
export function throttleRejectionResponse(
  decision: ThrottleDecision,
  request: Request,
  context: Pick<AppLoadContext, "requestId">,
): Response {
  const rejection = renderThrottleRejection({
    path: new URL(request.url).pathname,
    requestId: context.requestId,
    retryAfterSeconds: decision.retryAfterSeconds,
  });
  const headers = new Headers(rateLimitHeaders(decision.results));
  headers.set("Retry-After", String(decision.retryAfterSeconds));
  headers.set("Cache-Control", "no-store");
  headers.set("Content-Type", rejection.contentType);
  return new Response(rejection.body, { status: 429, headers });
}

/**
 * Counts a request against an action-checked policy (see checkThrottle) and
 * throws the 429 response when it is over the limit. Returns the RateLimit
 * headers to add to the successful response.
 *
 * A resource route (such as /api/v1) returns a thrown Response as is. A page
 * route's error boundary renders it instead, and Remix then keeps only its
 * Set-Cookie header. So a page route should export a `headers` function
 * that returns `errorHeaders`, or Retry-After never reaches the browser.
 */
export async function enforceThrottle(
  name: ActionThrottlePolicyName,
  subject: string,
  request: Request,
  context: Pick<AppLoadContext, "requestId">,
): Promise<Headers> {
  const decision = await checkThrottle(name, subject, request);
  if (!decision.allowed) {
    throw throttleRejectionResponse(decision, request, context);
  }
  return new Headers(rateLimitHeaders(decision.results));
}

import pg from "pg";

import { getEnv } from "../../utils/env.server";
import { summarizeError } from "../../utils/error-summary.server";
import { logger } from "../../utils/logger.server";
import { requestStorage } from "../../utils/request-store.server";
import { lazySingleton, singleton } from "../../utils/singleton.server";

/** Connections the throttle may hold per app instance, besides Prisma's 10. */
const THROTTLE_POOL_MAX = 5;

/**
 * The pg pool that runs the throttle upsert, which every request waits for.
 * Prisma's pg adapter (6.19) sends each $queryRaw unnamed, so PostgreSQL
 * parses and plans it every time. On this pool the upsert is a named
 * prepared statement, planned once per connection, which roughly halved its
 * latency in bench/throttle.ts (docs/benchmarks.md has the numbers). Like
 * the Prisma client, it connects on first use to the DATABASE_URL in effect
 * after start-up. Idle connections do not keep the process alive.
 */
export const throttlePool = lazySingleton("throttlePool", () => {
  const connectionString = getEnv().DATABASE_URL;
  if (!connectionString) {
    throw new Error(
      "DATABASE_URL was not resolved before the throttle was used.",
    );
  }
  const pool = new pg.Pool({
    connectionString,
    max: THROTTLE_POOL_MAX,
    connectionTimeoutMillis: 5_000,
    allowExitOnIdle: true,
  });
  // An idle connection that breaks emits "error"; unhandled, it would end
  // the process. The pool drops that connection and opens a new one later.
  // The error carries the pg client (with the backend's cancel key), so only
  // its message and code are logged. A connection opened during a request
  // would log that request's ID, so the line is written outside its context.
  pool.on("error", (error) => {
    requestStorage.exit(() => {
      logger.error(
        { event: "throttle.pool_error", ...summarizeError(error) },
        "an idle throttle database connection failed",
      );
    });
  });
  pool.on("connect", () => {
    openConnections.count += 1;
  });
  pool.on("remove", () => {
    openConnections.count -= 1;
    if (openConnections.count > 0) return;
    for (const resolve of openConnections.waiters.splice(0)) resolve();
  });
  return pool;
});

/** Count of open throttle pool connections, and callbacks waiting until none is open. */
const openConnections = singleton("throttlePoolConnections", () => ({
  count: 0,
  waiters: [] as (() => void)[],
}));

/**
 * Ends the throttle pool and resolves once every connection has closed.
 * pg-pool 3.14 resolves end() as soon as it has asked its idle clients to
 * close, before their sockets have closed, and a database stopped in that
 * gap terminates them with an error ("terminating connection due to
 * administrator command").
 */
export async function endThrottlePool(): Promise<void> {
  await throttlePool.end();
  if (openConnections.count === 0) return;
  await new Promise<void>((resolve) => openConnections.waiters.push(resolve));
}

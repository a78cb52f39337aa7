import type { PrismaClient } from "../../generated/prisma/client";
import { prisma } from "../../utils/db.server";
import { logger } from "../../utils/logger.server";
import { DATABASE_NOW as NOW } from "./throttle.server";

/**
 * Key of the transaction-level advisory lock that one purge batch holds, so
 * at most one app instance deletes at a time. The value is arbitrary but
 * must not be used for another advisory lock ("DOKOTHRT" in ASCII).
 */
export const PURGE_LOCK_KEY = 0x444f4b4f54485254n;

/** Rows deleted per statement, so no purge holds many row locks for long. */
const PURGE_BATCH_SIZE = 5_000;
/** Batches per table and run; the next run continues after that. */
const PURGE_MAX_BATCHES = 20;
/** Lockout rows stay this long after their last failure (unless locked). */
const LOCKOUT_RETENTION_HOURS = 24;
/** Time between two purge runs of one instance. */
const PURGE_INTERVAL_MS = 5 * 60_000;

type PurgeDatabase = Pick<PrismaClient, "$transaction">;

/** Rows deleted by one purge run, per table; null when another instance held the lock. */
export type PurgeResult = {
  throttleCounters: number;
  signInLockouts: number;
  signInIpBlocks: number;
} | null;

type PurgeTable = keyof NonNullable<PurgeResult>;

/**
 * Deletes up to PURGE_BATCH_SIZE stale rows of one table in a transaction
 * that first takes the advisory lock. Returns the count, or null when the
 * lock was taken elsewhere.
 */
async function purgeBatch(
  db: PurgeDatabase,
  table: PurgeTable,
): Promise<number | null> {
  return db.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<{ acquired: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(${PURGE_LOCK_KEY}::bigint) AS acquired`;
    if (!lock?.acquired) return null;

    switch (table) {
      case "throttleCounters":
        return tx.$executeRaw`
          DELETE FROM "ThrottleCounter" WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM "ThrottleCounter"
            WHERE "resetAt" <= ${NOW} LIMIT ${PURGE_BATCH_SIZE}::integer))`;
      case "signInLockouts":
        return tx.$executeRaw`
          DELETE FROM "SignInLockout" WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM "SignInLockout"
            WHERE "lastFailureAt" <= ${NOW} - make_interval(hours => ${LOCKOUT_RETENTION_HOURS}::integer)
              AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${NOW})
            LIMIT ${PURGE_BATCH_SIZE}::integer))`;
      case "signInIpBlocks":
        return tx.$executeRaw`
          DELETE FROM "SignInIpBlock" WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM "SignInIpBlock"
            WHERE "windowEndsAt" <= ${NOW}
              AND ("blockedUntil" IS NULL OR "blockedUntil" <= ${NOW})
            LIMIT ${PURGE_BATCH_SIZE}::integer))`;
    }
  });
}

/**
 * Deletes expired throttle counters, lockout rows without failures for 24
 * hours and no lock in force, and address blocks past their window. Each
 * batch runs under a PostgreSQL advisory lock, so instances never purge at
 * the same time; the run stops and returns null as soon as another instance
 * holds the lock. Deleting an expired row is always safe: the next request
 * would have started a new window anyway.
 */
export async function purgeExpiredSecurityRows(
  db: PurgeDatabase = prisma,
): Promise<PurgeResult> {
  const result = { throttleCounters: 0, signInLockouts: 0, signInIpBlocks: 0 };
  for (const table of Object.keys(result) as PurgeTable[]) {
    for (let batch = 0; batch < PURGE_MAX_BATCHES; batch += 1) {
      const deleted = await purgeBatch(db, table);
      if (deleted === null) return null;
      result[table] += deleted;
      if (deleted < PURGE_BATCH_SIZE) break;
    }
  }
  return result;
}

/**
 * Starts purging every five minutes, the first run one interval after
 * start-up, and returns a function that stops the timer. A run still in
 * progress makes the next tick skip. Failures are logged and retried at the
 * next tick. The timer does not keep the process alive.
 */
export function startSecurityPurge(
  intervalMs: number = PURGE_INTERVAL_MS,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    purgeExpiredSecurityRows()
      .then((result) => {
        if (result === null) {
          logger.debug(
            { event: "security_purge.skipped" },
            "another instance is purging",
          );
        } else {
          const deleted = Object.values(result).reduce((a, b) => a + b, 0);
          logger[deleted > 0 ? "info" : "debug"](
            { event: "security_purge.finished", ...result },
            "expired throttle and lockout rows purged",
          );
        }
      })
      .catch((error: unknown) => {
        logger.error(
          { event: "security_purge.failed", err: error },
          "purging expired throttle and lockout rows failed; retrying at the next interval",
        );
      })
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

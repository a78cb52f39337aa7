// A transactional outbox for email. Callers insert a row in the same
// transaction as the change the message reports. A worker loop sends due
// rows later and retries with backoff while the SMTP server is unreachable,
// so a user's request never waits for mail delivery or fails because of it.
import { settleBackgroundTasks } from "~/utils/background.server";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { requestStorage } from "~/utils/request-store.server";
import { singleton } from "~/utils/singleton.server";

import type { OutgoingEmail } from "./transport.server";
import { getMailTransport, isPermanentDeliveryError } from "./transport.server";

/**
 * An email to queue. `kind` names its template; `discardAfter` is when its
 * content stops being useful, such as when the link in it expires.
 */
export type QueuedEmail = OutgoingEmail & { kind: string; discardAfter: Date };

/** A transaction client or the global client. */
type Database = Prisma.TransactionClient | typeof prisma;

const CLAIM_BATCH_SIZE = 20;
/**
 * How long a claimed row belongs to one worker. It is far longer than the
 * SMTP timeouts allow a send to take, so no other worker claims the row
 * while a send is still running.
 */
const CLAIM_LEASE_MS = 5 * 60_000;
const RETRY_BASE_DELAY_MS = 30_000;
const RETRY_MAX_DELAY_MS = 60 * 60_000;
const LAST_ERROR_MAX_LENGTH = 500;
const WORKER_POLL_INTERVAL_MS = 5_000;

/** Queues an email; pass the transaction that makes the change it reports. */
export async function enqueueEmail(
  db: Database,
  email: QueuedEmail,
): Promise<void> {
  await db.emailOutbox.create({
    data: {
      kind: email.kind,
      recipient: email.to,
      subject: email.subject,
      textBody: email.text,
      htmlBody: email.html,
      discardAfter: email.discardAfter,
    },
  });
}

/** Counts the emails of one kind queued for an address since `since`. */
export function countQueuedEmails(
  db: Database,
  recipient: string,
  kind: string,
  since: Date,
): Promise<number> {
  return db.emailOutbox.count({
    where: { recipient, kind, createdAt: { gte: since } },
  });
}

/** Counts of what one drain did. */
export type DrainResult = {
  sent: number;
  retried: number;
  failed: number;
  expired: number;
};

type ClaimedRow = {
  id: string;
  recipient: string;
  subject: string;
  textBody: string | null;
  htmlBody: string | null;
  attempts: number;
  expired: boolean;
};

/**
 * Claims up to CLAIM_BATCH_SIZE due rows for this worker. FOR UPDATE SKIP
 * LOCKED lets concurrent workers on other instances pick disjoint rows, and
 * the lease written in the same statement keeps them off the rows after it
 * commits. Times are passed as UTC strings because the columns are
 * timestamps without time zone holding UTC.
 */
async function claimDueRows(
  now: Date,
  leaseUntil: Date,
): Promise<ClaimedRow[]> {
  const nowUtc = now.toISOString();
  const leaseUtc = leaseUntil.toISOString();
  // RETURNING has no order, so the outer query sorts the batch: messages
  // go out in the order they were queued.
  return prisma.$queryRaw<ClaimedRow[]>`
    WITH "claimed" AS (
      UPDATE "EmailOutbox"
      SET "lockedUntil" = (${leaseUtc}::timestamptz AT TIME ZONE 'UTC')
      WHERE "id" IN (
        SELECT "id" FROM "EmailOutbox"
        WHERE "status" = 'PENDING'
          AND "nextAttemptAt" <= (${nowUtc}::timestamptz AT TIME ZONE 'UTC')
          AND ("lockedUntil" IS NULL
            OR "lockedUntil" <= (${nowUtc}::timestamptz AT TIME ZONE 'UTC'))
        ORDER BY "nextAttemptAt", "createdAt"
        LIMIT ${CLAIM_BATCH_SIZE}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING *
    )
    SELECT "id", "recipient", "subject", "textBody", "htmlBody", "attempts",
      ("discardAfter" IS NOT NULL
        AND "discardAfter" <= (${nowUtc}::timestamptz AT TIME ZONE 'UTC'))
        AS "expired"
    FROM "claimed"
    ORDER BY "nextAttemptAt", "createdAt", "id"`;
}

/** Returns the delay before retry number `attempts`: 30 s doubling to 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(
    RETRY_BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1),
    RETRY_MAX_DELAY_MS,
  );
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, LAST_ERROR_MAX_LENGTH);
}

type Outcome = keyof DrainResult;

/**
 * Sends one claimed row and records the outcome. Every final state clears
 * the bodies, because they may contain live verification or reset links,
 * and the bodies are the only place those tokens exist in plain text.
 * Updates require the lease this worker wrote, so a row reclaimed after an
 * expired lease is left to its new owner.
 */
async function deliver(
  row: ClaimedRow,
  now: Date,
  lease: Date,
): Promise<Outcome> {
  const owned = { id: row.id, lockedUntil: lease };
  const finish = (data: Prisma.EmailOutboxUpdateManyMutationInput) =>
    prisma.emailOutbox.updateMany({
      where: owned,
      data: { ...data, textBody: null, htmlBody: null, lockedUntil: null },
    });

  if (row.expired || row.textBody === null || row.htmlBody === null) {
    await finish({ status: "EXPIRED" });
    logger.error(
      { event: "email.expired", emailId: row.id, attempts: row.attempts },
      "email discarded undelivered because its content expired",
    );
    return "expired";
  }

  const attempts = row.attempts + 1;
  try {
    await getMailTransport().send({
      to: row.recipient,
      subject: row.subject,
      text: row.textBody,
      html: row.htmlBody,
    });
  } catch (error) {
    if (isPermanentDeliveryError(error)) {
      await finish({
        status: "FAILED",
        attempts,
        lastError: describeError(error),
      });
      logger.error(
        { event: "email.failed", emailId: row.id, attempts, err: error },
        "email rejected permanently by the SMTP server",
      );
      return "failed";
    }
    const nextAttemptAt = new Date(now.getTime() + retryDelayMs(attempts));
    await prisma.emailOutbox.updateMany({
      where: owned,
      data: {
        attempts,
        nextAttemptAt,
        lockedUntil: null,
        lastError: describeError(error),
      },
    });
    logger.warn(
      {
        event: "email.retry_scheduled",
        emailId: row.id,
        attempts,
        nextAttemptAt,
        err: error,
      },
      "email delivery failed; retry scheduled",
    );
    return "retried";
  }

  await finish({
    status: "SENT",
    attempts,
    sentAt: new Date(),
    lastError: null,
  });
  logger.info({ event: "email.sent", emailId: row.id, attempts }, "email sent");
  return "sent";
}

/**
 * Sends every email that is due at `now`, batch by batch, and returns the
 * counts. Rows that fail transiently are rescheduled, not re-sent within
 * the same drain. Tests call this directly, and production runs it from
 * the worker loop.
 */
export async function drainOutbox(
  options: { now?: Date } = {},
): Promise<DrainResult> {
  const now = options.now ?? new Date();
  const result: DrainResult = { sent: 0, retried: 0, failed: 0, expired: 0 };
  for (;;) {
    const lease = new Date(now.getTime() + CLAIM_LEASE_MS);
    const rows = await claimDueRows(now, lease);
    for (const row of rows) {
      result[await deliver(row, now, lease)] += 1;
    }
    if (rows.length < CLAIM_BATCH_SIZE) return result;
  }
}

/** Finished outbox rows and dead link tokens are kept this long for audits. */
const RECORD_RETENTION_MS = 30 * 24 * 60 * 60_000;
const PURGE_INTERVAL_MS = 60 * 60_000;

/**
 * Deletes outbox rows that reached a final state, and emailed-link tokens
 * that expired, more than 30 days before `now`. Returns how many of each.
 */
export async function purgeOldEmailRecords(
  now: Date = new Date(),
): Promise<{ emails: number; tokens: number }> {
  const cutoff = new Date(now.getTime() - RECORD_RETENTION_MS);
  const emails = await prisma.emailOutbox.deleteMany({
    where: { status: { not: "PENDING" }, createdAt: { lt: cutoff } },
  });
  const tokens = await prisma.emailToken.deleteMany({
    where: { expiresAt: { lt: cutoff } },
  });
  return { emails: emails.count, tokens: tokens.count };
}

type WorkerState = {
  wake: (() => void) | null;
};

const workerState = singleton<WorkerState>("emailWorker", () => ({
  wake: null,
}));

/**
 * Asks a running worker to drain now instead of at its next poll. Requests
 * call it, so the drain runs outside the request's log context: otherwise
 * its log lines, and those of every drain its timers start, would carry
 * that request's ID.
 */
export function wakeEmailWorker(): void {
  const wake = workerState.wake;
  if (wake) requestStorage.exit(wake);
}

/**
 * Starts the loop that drains the outbox every few seconds and whenever
 * wakeEmailWorker() is called, and purges old records once an hour.
 * Returns the shutdown function. It waits for background tasks, because
 * they may still queue email, then stops the loop and resolves once the
 * drain in progress has finished. Rows left pending go out after the next
 * start.
 */
export function startEmailWorker(): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let running = false;
  // A wake-up during a drain may concern a row the drain already passed.
  let drainAgain = false;
  let lastPurge = 0;

  const run = () => {
    if (stopped) return;
    if (running) {
      drainAgain = true;
      return;
    }
    running = true;
    drainAgain = false;
    clearTimeout(timer);
    current = drainOutbox()
      .then(async (result) => {
        if (result.sent + result.retried + result.failed + result.expired > 0) {
          logger.info({ event: "email.drained", ...result }, "outbox drained");
        }
        if (Date.now() - lastPurge >= PURGE_INTERVAL_MS) {
          lastPurge = Date.now();
          const purged = await purgeOldEmailRecords();
          logger.info(
            { event: "email.purged", ...purged },
            "old email records deleted",
          );
        }
      })
      .catch((error: unknown) => {
        logger.error(
          { event: "email.drain_failed", err: error },
          "outbox drain or purge failed; retrying at the next poll",
        );
      })
      .finally(() => {
        running = false;
        if (stopped) return;
        timer = setTimeout(run, drainAgain ? 0 : WORKER_POLL_INTERVAL_MS);
      });
  };

  workerState.wake = run;
  run();
  logger.info({ event: "email.worker_started" }, "email outbox worker started");

  return async () => {
    await settleBackgroundTasks();
    stopped = true;
    clearTimeout(timer);
    if (workerState.wake === run) workerState.wake = null;
    await current;
    logger.info(
      { event: "email.worker_stopped" },
      "email outbox worker stopped",
    );
  };
}

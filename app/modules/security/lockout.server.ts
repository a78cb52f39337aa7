import { Prisma } from "../../generated/prisma/client";
import { recordAuditEvent } from "../../utils/audit.server";
import { prisma } from "../../utils/db.server";
import type { Env } from "../../utils/env.server";
import { getEnv } from "../../utils/env.server";
import { logger } from "../../utils/logger.server";
import type { RequestInfo } from "../../utils/request-context.server";
import {
  clientAddressKey,
  emailHashForLog,
  hashEmail,
  normalizeEmail,
} from "./keys.server";
import { DATABASE_NOW as NOW } from "./throttle.server";

/**
 * Sign-in routes whose POSTs the Express middleware rejects while the
 * client address is blocked, compared after normalizeRequestPath().
 */
export const SIGN_IN_PATHS: readonly string[] = ["/login", "/login/2fa"];

/** Exponents above this no longer change the capped delay. */
const MAX_DELAY_EXPONENT = 30;

type LockoutSettings = {
  threshold: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  hourlyFailureLimit: number;
  ipAccountLimit: number;
  ipWindowSeconds: number;
};

function lockoutSettings(env: Env = getEnv()): LockoutSettings {
  return {
    threshold: env.LOCKOUT_THRESHOLD,
    baseDelaySeconds: env.LOCKOUT_BASE_DELAY_SECONDS,
    maxDelaySeconds: env.LOCKOUT_MAX_DELAY_SECONDS,
    hourlyFailureLimit: env.LOCKOUT_HOURLY_FAILURE_LIMIT,
    ipAccountLimit: env.LOCKOUT_IP_ACCOUNT_LIMIT,
    ipWindowSeconds: env.LOCKOUT_IP_WINDOW_SECONDS,
  };
}

/**
 * SQL for the lock that follows a failure, or NULL for none. From the
 * threshold-th consecutive failure on, the account waits
 * base * 2^(failures - threshold) seconds, capped at the maximum delay.
 * Once the hourly limit is reached, it waits until its one-hour window
 * ends. GREATEST ignores NULL, so the later of the two locks wins.
 */
function lockedUntilSql(
  consecutive: Prisma.Sql,
  hourStartedAt: Prisma.Sql,
  hourFailures: Prisma.Sql,
  settings: LockoutSettings,
): Prisma.Sql {
  return Prisma.sql`GREATEST(
    CASE WHEN ${hourFailures} >= ${settings.hourlyFailureLimit}::integer
      THEN ${hourStartedAt} + interval '1 hour' END,
    CASE WHEN ${consecutive} >= ${settings.threshold}::integer
      THEN ${NOW} + make_interval(secs => LEAST(
        ${settings.baseDelaySeconds}::double precision * power(2, LEAST(
          ${consecutive} - ${settings.threshold}::integer,
          ${MAX_DELAY_EXPONENT}::integer)),
        ${settings.maxDelaySeconds}::double precision))
    END)`;
}

/** A sign-in attempt that passed through beginSignInAttempt(). */
export type SignInAttempt = {
  /** Digest of the submitted email; null when the form had none. */
  emailHash: string | null;
  /** Client address key, from clientAddressKey(). */
  ipKey: string;
  /** False while the email is locked: fail without checking the secret. */
  admitted: boolean;
  /** Failures counted for the email, this attempt included if admitted. */
  consecutiveFailures: number;
  /** For an admitted attempt, the lock that starts if it fails, else null. */
  lockedUntilOnFailure: Date | null;
};

type AttemptRow = { consecutiveFailures: number; lockedUntil: Date | null };

/**
 * Starts a sign-in attempt for a submitted email, known or not, in ONE
 * atomic statement. A locked email is reported as not admitted and left
 * unchanged. Otherwise the attempt is counted as a failure in advance, and
 * the lock it would cause is stored. Because the count comes before the
 * check, parallel attempts cannot all slip in before the lock: exactly
 * LOCKOUT_THRESHOLD of them are admitted. recordSignInSuccess() takes the
 * count back when the secret was right.
 */
export async function beginSignInAttempt(
  email: string,
  ipKey: string,
): Promise<SignInAttempt> {
  const normalized = normalizeEmail(email);
  if (normalized === "") {
    return {
      emailHash: null,
      ipKey,
      admitted: true,
      consecutiveFailures: 0,
      lockedUntilOnFailure: null,
    };
  }
  const emailHash = hashEmail(normalized);
  const settings = lockoutSettings();
  const firstFailure = Prisma.sql`1`;
  const next = {
    consecutive: Prisma.sql`next.consecutive`,
    hourStartedAt: Prisma.sql`next.hour_started_at`,
    hourFailures: Prisma.sql`next.hour_failures`,
  };
  const hourOver = Prisma.sql`lockout."hourStartedAt" + interval '1 hour' <= ${NOW}`;
  const rows = await prisma.$queryRaw<AttemptRow[]>`
    INSERT INTO "SignInLockout" AS lockout ("emailHash", "consecutiveFailures",
      "hourStartedAt", "hourFailures", "lockedUntil", "lastFailureAt")
    VALUES (${emailHash}, 1, ${NOW}, 1,
      ${lockedUntilSql(firstFailure, NOW, firstFailure, settings)}, ${NOW})
    ON CONFLICT ("emailHash") DO UPDATE SET
      ("consecutiveFailures", "hourStartedAt", "hourFailures", "lockedUntil",
       "lastFailureAt") = (
        SELECT next.consecutive, next.hour_started_at, next.hour_failures,
          ${lockedUntilSql(next.consecutive, next.hourStartedAt, next.hourFailures, settings)},
          ${NOW}
        FROM (
          SELECT
            lockout."consecutiveFailures" + 1 AS consecutive,
            CASE WHEN ${hourOver} THEN ${NOW}
              ELSE lockout."hourStartedAt" END AS hour_started_at,
            CASE WHEN ${hourOver} THEN 1
              ELSE lockout."hourFailures" + 1 END AS hour_failures
        ) AS next
      )
    WHERE lockout."lockedUntil" IS NULL OR lockout."lockedUntil" <= ${NOW}
    RETURNING "consecutiveFailures", "lockedUntil"`;

  const row = rows[0];
  if (!row) {
    // The WHERE clause skipped the update: the email is locked.
    return {
      emailHash,
      ipKey,
      admitted: false,
      consecutiveFailures: 0,
      lockedUntilOnFailure: null,
    };
  }
  return {
    emailHash,
    ipKey,
    admitted: true,
    consecutiveFailures: row.consecutiveFailures,
    lockedUntilOnFailure: row.lockedUntil,
  };
}

/**
 * Ends an admitted attempt whose secret was right: the consecutive count and
 * any lock are cleared, and the attempt's advance count is taken out of the
 * hourly window, which otherwise stays as it is.
 */
export async function recordSignInSuccess(
  attempt: SignInAttempt,
): Promise<void> {
  if (!attempt.admitted || !attempt.emailHash) return;
  await prisma.$executeRaw`
    UPDATE "SignInLockout"
    SET "consecutiveFailures" = 0,
        "lockedUntil" = NULL,
        "hourFailures" = GREATEST("hourFailures" - 1, 0)
    WHERE "emailHash" = ${attempt.emailHash}`;
}

type IpFailureRow = {
  accounts: number;
  blockedUntil: Date | null;
  newlyBlocked: boolean;
};

/**
 * Adds the email to the distinct emails the client address failed on in the
 * current window, in ONE atomic statement, and blocks the address for one
 * window once LOCKOUT_IP_ACCOUNT_LIMIT emails are reached. The list stops
 * growing at the limit.
 */
async function recordIpFailure(
  ipKey: string,
  emailHash: string,
  settings: LockoutSettings,
): Promise<IpFailureRow | undefined> {
  const windowLength = Prisma.sql`make_interval(secs => ${settings.ipWindowSeconds}::integer)`;
  const limit = Prisma.sql`${settings.ipAccountLimit}::integer`;
  const rows = await prisma.$queryRaw<IpFailureRow[]>`
    INSERT INTO "SignInIpBlock" AS block ("ip", "windowEndsAt", "emailHashes",
      "blockedUntil")
    VALUES (${ipKey}, ${NOW} + ${windowLength}, ARRAY[${emailHash}]::text[],
      CASE WHEN 1 >= ${limit} THEN ${NOW} + ${windowLength} END)
    ON CONFLICT ("ip") DO UPDATE SET
      ("windowEndsAt", "emailHashes", "blockedUntil") = (
        SELECT next.window_ends_at, next.hashes,
          CASE
            WHEN cardinality(next.hashes) >= ${limit}
              AND (block."blockedUntil" IS NULL
                OR block."blockedUntil" <= ${NOW})
            THEN ${NOW} + ${windowLength}
            ELSE block."blockedUntil"
          END
        FROM (
          SELECT
            CASE WHEN block."windowEndsAt" <= ${NOW}
              THEN ${NOW} + ${windowLength}
              ELSE block."windowEndsAt" END AS window_ends_at,
            CASE
              WHEN block."windowEndsAt" <= ${NOW}
                THEN ARRAY[${emailHash}]::text[]
              WHEN ${emailHash} = ANY(block."emailHashes")
                OR cardinality(block."emailHashes") >= ${limit}
                THEN block."emailHashes"
              ELSE block."emailHashes" || ${emailHash}::text
            END AS hashes
        ) AS next
      )
    RETURNING cardinality("emailHashes") AS accounts, "blockedUntil",
      COALESCE("blockedUntil" = ${NOW} + ${windowLength}, false)
        AS "newlyBlocked"`;
  return rows[0];
}

/**
 * Ends an attempt that failed, admitted or not. A failure that started a
 * lock is logged and, for an existing account, audited as ACCOUNT_LOCKED.
 * The client address is charged with the email; a new address block is
 * logged. `userId` is the account behind the email, if any.
 */
export async function recordSignInFailure(
  attempt: SignInAttempt,
  userId: string | null,
  info: RequestInfo,
): Promise<void> {
  if (!attempt.emailHash) return;
  const settings = lockoutSettings();
  const lockedUntil = attempt.lockedUntilOnFailure;
  if (attempt.admitted && lockedUntil) {
    logger.warn(
      {
        event: "sign_in.account_locked",
        email: emailHashForLog(attempt.emailHash),
        targetUserId: userId,
        consecutiveFailures: attempt.consecutiveFailures,
        lockedUntil: lockedUntil.toISOString(),
      },
      "sign-in locked for an email after repeated failures",
    );
    if (userId) {
      await recordAuditEvent(
        {
          action: "ACCOUNT_LOCKED",
          actorId: null,
          targetType: "User",
          targetId: userId,
          newValues: {
            lockedUntil: lockedUntil.toISOString(),
            consecutiveFailures: attempt.consecutiveFailures,
          },
        },
        info,
      );
    }
  }

  const ipFailure = await recordIpFailure(
    attempt.ipKey,
    attempt.emailHash,
    settings,
  );
  if (ipFailure?.newlyBlocked) {
    logger.warn(
      {
        event: "sign_in.address_blocked",
        ip: attempt.ipKey,
        accounts: ipFailure.accounts,
        blockedUntil: ipFailure.blockedUntil?.toISOString(),
      },
      "sign-in blocked for a client address that failed on many emails",
    );
  }
}

/**
 * Returns the seconds until a client address may sign in again, or null
 * when it is not blocked.
 */
export async function findSignInIpBlock(
  ipKey: string,
): Promise<{ retryAfterSeconds: number } | null> {
  const rows = await prisma.$queryRaw<{ retryAfterSeconds: number }[]>`
    SELECT CEIL(EXTRACT(EPOCH FROM "blockedUntil" - ${NOW}))::integer
      AS "retryAfterSeconds"
    FROM "SignInIpBlock"
    WHERE "ip" = ${ipKey} AND "blockedUntil" > ${NOW}`;
  const row = rows[0];
  return row ? { retryAfterSeconds: Math.max(1, row.retryAfterSeconds) } : null;
}

/** The failure record that unlockAccount() found and cleared. */
export type UnlockResult = {
  /** The email had failed sign-ins on record. */
  found: boolean;
  /** A lock was in force and has been lifted. */
  wasLocked: boolean;
  /** The lock's end as it was stored, even when already past. */
  lockedUntil: Date | null;
  consecutiveFailures: number;
  /** Failures counted in the one-hour window still running, if any. */
  hourFailures: number;
  /** The account with this email, if any. */
  userId: string | null;
};

/**
 * Clears every failed sign-in recorded for an email, lifting its lock and
 * its hourly count, in one statement. A lifted lock of an existing account
 * is audited as ACCOUNT_UNLOCKED with `actorId` (null for the command line).
 * The admin area and `npm run unlock` both call this.
 */
export async function unlockAccount(
  email: string,
  actor: { actorId: string | null; info: RequestInfo },
): Promise<UnlockResult> {
  const normalized = normalizeEmail(email);
  const emailHash = hashEmail(normalized);
  const rows = await prisma.$queryRaw<
    {
      consecutiveFailures: number;
      hourFailures: number;
      lockedUntil: Date | null;
      wasLocked: boolean;
    }[]
  >`
    DELETE FROM "SignInLockout" WHERE "emailHash" = ${emailHash}
    RETURNING "consecutiveFailures", "lockedUntil",
      CASE WHEN "hourStartedAt" + interval '1 hour' > ${NOW}
        THEN "hourFailures" ELSE 0 END AS "hourFailures",
      COALESCE("lockedUntil" > ${NOW}, false) AS "wasLocked"`;
  const user = await prisma.user.findUnique({
    where: { email: normalized },
    select: { id: true },
  });
  const row = rows[0];
  const result: UnlockResult = {
    found: row !== undefined,
    wasLocked: row?.wasLocked ?? false,
    lockedUntil: row?.lockedUntil ?? null,
    consecutiveFailures: row?.consecutiveFailures ?? 0,
    hourFailures: row?.hourFailures ?? 0,
    userId: user?.id ?? null,
  };

  if (result.wasLocked) {
    logger.info(
      {
        event: "sign_in.account_unlocked",
        email: emailHashForLog(emailHash),
        targetUserId: result.userId,
        actorId: actor.actorId,
      },
      "sign-in lock lifted",
    );
    if (result.userId) {
      await recordAuditEvent(
        {
          action: "ACCOUNT_UNLOCKED",
          actorId: actor.actorId,
          targetType: "User",
          targetId: result.userId,
          oldValues: {
            lockedUntil: result.lockedUntil?.toISOString() ?? null,
            consecutiveFailures: result.consecutiveFailures,
            hourFailures: result.hourFailures,
          },
        },
        actor.info,
      );
    }
  }
  return result;
}

/** The address block that unlockAddress() found and cleared. */
export type AddressUnlockResult = {
  /** The throttle key the block is stored under: the IPv4 address or IPv6 /64 prefix. */
  addressKey: string;
  /** The address had failed sign-ins on record in a window. */
  found: boolean;
  /** A block was in force and has been lifted. */
  wasBlocked: boolean;
  /** The block's end as it was stored, even when already past. */
  blockedUntil: Date | null;
  /** Distinct emails the address failed on in the window still running. */
  failedEmails: number;
};

/**
 * Clears the sign-in record of a client address, lifting its block and
 * the list of emails it failed on, in one statement. `address` is an IP
 * address, or an IPv6 /64 prefix as log lines show it, and is stored under
 * its clientAddressKey(). A lifted block is audited as
 * SIGN_IN_ADDRESS_UNLOCKED with `actorId` (null for the command line).
 */
export async function unlockAddress(
  address: string,
  actor: { actorId: string | null; info: RequestInfo },
): Promise<AddressUnlockResult> {
  const trimmed = address.trim();
  const prefix = /^(.+)\/64$/.exec(trimmed);
  const addressKey = clientAddressKey(prefix ? prefix[1] : trimmed);
  const rows = await prisma.$queryRaw<
    {
      blockedUntil: Date | null;
      failedEmails: number;
      wasBlocked: boolean;
    }[]
  >`
    DELETE FROM "SignInIpBlock" WHERE "ip" = ${addressKey}
    RETURNING "blockedUntil",
      CASE WHEN "windowEndsAt" > ${NOW}
        THEN cardinality("emailHashes") ELSE 0 END AS "failedEmails",
      COALESCE("blockedUntil" > ${NOW}, false) AS "wasBlocked"`;
  const row = rows[0];
  const result: AddressUnlockResult = {
    addressKey,
    found: row !== undefined,
    wasBlocked: row?.wasBlocked ?? false,
    blockedUntil: row?.blockedUntil ?? null,
    failedEmails: row?.failedEmails ?? 0,
  };

  if (result.wasBlocked) {
    logger.info(
      {
        event: "sign_in.address_unlocked",
        ip: addressKey,
        actorId: actor.actorId,
      },
      "sign-in block of a client address lifted",
    );
    await recordAuditEvent(
      {
        action: "SIGN_IN_ADDRESS_UNLOCKED",
        actorId: actor.actorId,
        targetType: "ClientAddress",
        targetId: addressKey,
        oldValues: {
          blockedUntil: result.blockedUntil?.toISOString() ?? null,
          failedEmails: result.failedEmails,
        },
      },
      actor.info,
    );
  }
  return result;
}

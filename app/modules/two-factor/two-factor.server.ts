// Two-step sign-in with a TOTP authenticator app and recovery codes: setup,
// confirmation, code checks with replay protection, regeneration of the
// recovery codes, and turning it off.
import { verifyPassword } from "~/modules/accounts/password.server";
import { appUrl } from "~/modules/email/templates.server";
import { enqueueEmail, wakeEmailWorker } from "~/modules/email/outbox.server";
import type { QueuedEmail } from "~/modules/email/outbox.server";
import { verifySecondFactor } from "~/modules/security/sign-in.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { prisma } from "~/utils/db.server";
import type { RequestInfo } from "~/utils/request-context.server";

import { decryptTotpSecret, encryptTotpSecret } from "./crypto.server";
import {
  consumeRecoveryCode,
  countUnusedRecoveryCodes,
  generateRecoveryCodes,
  normalizeRecoveryCode,
  replaceRecoveryCodes,
} from "./recovery-codes.server";
import {
  buildTotpAuthUri,
  formatManualKey,
  generateTotpSecret,
  matchTotpStep,
  renderTotpQrCode,
  TOTP_DIGITS,
} from "./totp.server";
import { escapeHtml } from "~/utils/html";

/** How long a started setup waits for its first code, in milliseconds. */
export const SETUP_LIFETIME_MS = 15 * 60_000;

/** Kind of second factor that a code matched. */
export type SecondFactorMethod = "totp" | "recovery-code";

/** The two-step sign-in state that the settings page shows. */
export type TwoFactorStatus = {
  enabled: boolean;
  enabledAt: Date | null;
  unusedRecoveryCodes: number;
  /** A started setup that still accepts its first code. */
  pendingSetup: { expiresAt: Date } | null;
};

/** Returns whether the user has confirmed two-step sign-in. */
export async function isTwoFactorEnabled(userId: string): Promise<boolean> {
  const row = await prisma.twoFactorCredential.findUnique({
    where: { userId },
    select: { confirmedAt: true },
  });
  return Boolean(row?.confirmedAt);
}

/** Returns the user's two-step sign-in state. */
export async function getTwoFactorStatus(
  userId: string,
): Promise<TwoFactorStatus> {
  const row = await prisma.twoFactorCredential.findUnique({
    where: { userId },
    select: { confirmedAt: true, createdAt: true },
  });
  if (row?.confirmedAt) {
    return {
      enabled: true,
      enabledAt: row.confirmedAt,
      unusedRecoveryCodes: await countUnusedRecoveryCodes(userId),
      pendingSetup: null,
    };
  }
  const expiresAt = row
    ? new Date(row.createdAt.getTime() + SETUP_LIFETIME_MS)
    : null;
  return {
    enabled: false,
    enabledAt: null,
    unusedRecoveryCodes: 0,
    pendingSetup:
      expiresAt && expiresAt.getTime() > Date.now() ? { expiresAt } : null,
  };
}

/** Outcome of startTwoFactorSetup. */
export type StartSetupResult =
  | { status: "started" }
  | { status: "email-unverified" }
  | { status: "already-enabled" };

/**
 * Creates a new random secret for the user and keeps it, encrypted, as a
 * pending setup that replaces any earlier pending one. Two-step sign-in
 * stays off until confirmTwoFactorSetup accepts a code from it. Users whose
 * email address is unverified cannot start.
 */
export async function startTwoFactorSetup(
  userId: string,
): Promise<StartSetupResult> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: { emailVerifiedAt: true },
  });
  if (!user.emailVerifiedAt) return { status: "email-unverified" };

  const secretEncrypted = encryptTotpSecret(generateTotpSecret(), userId);
  return prisma.$transaction(async (tx) => {
    const existing = await tx.twoFactorCredential.findUnique({
      where: { userId },
      select: { confirmedAt: true },
    });
    if (existing?.confirmedAt) return { status: "already-enabled" } as const;
    await tx.twoFactorCredential.deleteMany({
      where: { userId, confirmedAt: null },
    });
    await tx.twoFactorCredential.create({
      data: { userId, secretEncrypted },
    });
    return { status: "started" } as const;
  });
}

/** QR code and key that the setup page shows until the first code. */
export type PendingSetup = {
  qrCodeDataUrl: string;
  /** The base32 secret in groups of four, for typing into an app. */
  manualKey: string;
  expiresAt: Date;
};

/** Returns the QR code and key of the user's pending setup, or null. */
export async function getPendingSetup(
  userId: string,
  accountName: string,
): Promise<PendingSetup | null> {
  const row = await prisma.twoFactorCredential.findUnique({
    where: { userId },
    select: { secretEncrypted: true, confirmedAt: true, createdAt: true },
  });
  if (!row || row.confirmedAt) return null;
  const expiresAt = new Date(row.createdAt.getTime() + SETUP_LIFETIME_MS);
  if (expiresAt.getTime() <= Date.now()) return null;
  const secret = decryptTotpSecret(row.secretEncrypted, userId);
  return {
    qrCodeDataUrl: await renderTotpQrCode(
      buildTotpAuthUri(secret, accountName),
    ),
    manualKey: formatManualKey(secret),
    expiresAt,
  };
}

/** Deletes the user's pending setup, if any; an enabled one stays. */
export async function cancelTwoFactorSetup(userId: string): Promise<void> {
  await prisma.twoFactorCredential.deleteMany({
    where: { userId, confirmedAt: null },
  });
}

/** Outcome of confirmTwoFactorSetup. */
export type ConfirmSetupResult =
  | { status: "enabled"; recoveryCodes: string[] }
  | { status: "invalid-code" }
  | { status: "no-setup" };

/**
 * Turns two-step sign-in on when `code` matches the pending secret, and
 * returns ten new recovery codes, which exist in plain text only in this
 * result. The code's time step is stored, so the same code cannot also
 * sign in.
 */
export async function confirmTwoFactorSetup(
  userId: string,
  code: string,
  info: RequestInfo,
): Promise<ConfirmSetupResult> {
  const row = await prisma.twoFactorCredential.findUnique({
    where: { userId },
    select: { secretEncrypted: true, confirmedAt: true, createdAt: true },
  });
  if (
    !row ||
    row.confirmedAt ||
    row.createdAt.getTime() + SETUP_LIFETIME_MS <= Date.now()
  ) {
    return { status: "no-setup" };
  }
  const step = await matchTotpStep(
    code,
    decryptTotpSecret(row.secretEncrypted, userId),
  );
  if (step === null) return { status: "invalid-code" };

  const recoveryCodes = generateRecoveryCodes();
  const enabled = await prisma.$transaction(async (tx) => {
    // The secret condition makes a setup restarted in another tab fail
    // here instead of enabling a secret the user never saw.
    const updated = await tx.$executeRaw`
      UPDATE "TwoFactorCredential"
      SET "confirmedAt" = now(), "lastTotpStep" = ${step}::integer
      WHERE "userId" = ${userId} AND "confirmedAt" IS NULL
        AND "secretEncrypted" = ${row.secretEncrypted}`;
    if (updated !== 1) return false;
    await replaceRecoveryCodes(tx, userId, recoveryCodes);
    return true;
  });
  if (!enabled) return { status: "no-setup" };

  await recordAuditEvent(
    {
      action: "TWO_FACTOR_ENABLED",
      actorId: userId,
      targetType: "User",
      targetId: userId,
      newValues: { method: "totp", recoveryCodes: recoveryCodes.length },
    },
    info,
  );
  return { status: "enabled", recoveryCodes };
}

/**
 * Returns true when `code` is the user's TOTP code for a time step later
 * than the last accepted one, and stores that step. The conditional UPDATE
 * makes parallel submissions of one code succeed exactly once.
 */
export async function verifyTotpCode(
  userId: string,
  code: string,
): Promise<boolean> {
  const row = await prisma.twoFactorCredential.findUnique({
    where: { userId },
    select: { secretEncrypted: true, confirmedAt: true },
  });
  if (!row?.confirmedAt) return false;
  const step = await matchTotpStep(
    code,
    decryptTotpSecret(row.secretEncrypted, userId),
  );
  if (step === null) return false;
  const updated = await prisma.$executeRaw`
    UPDATE "TwoFactorCredential" SET "lastTotpStep" = ${step}::integer
    WHERE "userId" = ${userId} AND "confirmedAt" IS NOT NULL
      AND ("lastTotpStep" IS NULL OR "lastTotpStep" < ${step}::integer)`;
  return updated === 1;
}

/** Removes spaces, which apps show in the middle of six-digit codes. */
function normalizeTotpInput(input: string): string {
  return input.replace(/\s/g, "");
}

/** Returns whether input has the shape of a TOTP code or a recovery code. */
export function isCodeShaped(input: string): boolean {
  return (
    new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(normalizeTotpInput(input)) ||
    normalizeRecoveryCode(input) !== null
  );
}

/**
 * Checks a TOTP code or, failing that shape, a recovery code, and uses it up.
 * Returns which one matched, or null. A used recovery code is audited as
 * RECOVERY_CODE_USED with the count of unused codes left.
 */
export async function verifySecondFactorCode(
  userId: string,
  input: string,
  info: RequestInfo,
): Promise<SecondFactorMethod | null> {
  const totp = normalizeTotpInput(input);
  if (new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(totp)) {
    return (await verifyTotpCode(userId, totp)) ? "totp" : null;
  }
  if (!(await consumeRecoveryCode(userId, input))) return null;
  await recordAuditEvent(
    {
      action: "RECOVERY_CODE_USED",
      actorId: userId,
      targetType: "User",
      targetId: userId,
      newValues: { unused: await countUnusedRecoveryCodes(userId) },
    },
    info,
  );
  return "recovery-code";
}

/** Outcome of regenerateRecoveryCodes. */
export type RegenerateResult =
  | { status: "regenerated"; recoveryCodes: string[] }
  | { status: "wrong-password" }
  | { status: "not-enabled" };

/**
 * Replaces all of the user's recovery codes with ten new ones after checking
 * the password. The new codes exist in plain text only in this result.
 */
export async function regenerateRecoveryCodes(
  userId: string,
  password: unknown,
  info: RequestInfo,
): Promise<RegenerateResult> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: { passwordHash: true },
  });
  if (!(await verifyPassword(password, user.passwordHash))) {
    return { status: "wrong-password" };
  }
  const recoveryCodes = generateRecoveryCodes();
  const regenerated = await prisma.$transaction(async (tx) => {
    const credential = await tx.twoFactorCredential.findUnique({
      where: { userId },
      select: { confirmedAt: true },
    });
    if (!credential?.confirmedAt) return false;
    await replaceRecoveryCodes(tx, userId, recoveryCodes);
    return true;
  });
  if (!regenerated) return { status: "not-enabled" };
  await recordAuditEvent(
    {
      action: "RECOVERY_CODES_REGENERATED",
      actorId: userId,
      targetType: "User",
      targetId: userId,
      newValues: { recoveryCodes: recoveryCodes.length },
    },
    info,
  );
  return { status: "regenerated", recoveryCodes };
}

/** Outcome of disableTwoFactor. */
export type DisableResult =
  | { status: "disabled"; revokedSessions: number }
  | { status: "wrong-password" }
  | { status: "invalid-code" }
  | { status: "not-enabled" };

/**
 * Turns two-step sign-in off after checking the password and a current TOTP
 * or recovery code. In one transaction it deletes the secret, the recovery
 * codes, pending sign-in challenges and every session but the current one,
 * and queues a notice to the user's address. A wrong code counts toward
 * the sign-in lockout, as at sign-in.
 */
export async function disableTwoFactor(
  input: { userId: string; sessionId: string; password: unknown; code: string },
  info: RequestInfo,
): Promise<DisableResult> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: input.userId },
    select: { email: true, name: true, passwordHash: true },
  });
  if (!(await isTwoFactorEnabled(input.userId))) {
    return { status: "not-enabled" };
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    return { status: "wrong-password" };
  }
  const codeAccepted = await verifySecondFactor(input.userId, info, async () =>
    Boolean(await verifySecondFactorCode(input.userId, input.code, info)),
  );
  if (!codeAccepted) return { status: "invalid-code" };

  const revokedSessions = await prisma.$transaction(async (tx) => {
    const deleted = await tx.twoFactorCredential.deleteMany({
      where: { userId: input.userId, confirmedAt: { not: null } },
    });
    if (deleted.count === 0) return null;
    await tx.recoveryCode.deleteMany({ where: { userId: input.userId } });
    await tx.signInChallenge.deleteMany({ where: { userId: input.userId } });
    const sessions = await tx.session.deleteMany({
      where: { userId: input.userId, id: { not: input.sessionId } },
    });
    await enqueueEmail(
      tx,
      twoFactorDisabledEmail({ to: user.email, name: user.name }),
    );
    return sessions.count;
  });
  if (revokedSessions === null) return { status: "not-enabled" };

  wakeEmailWorker();
  await recordAuditEvent(
    {
      action: "TWO_FACTOR_DISABLED",
      actorId: input.userId,
      targetType: "User",
      targetId: input.userId,
      newValues: { revokedSessions },
    },
    info,
  );
  return { status: "disabled", revokedSessions };
}

/** How long the notice is worth delivering, in milliseconds. */
const NOTICE_LIFETIME_MS = 7 * 24 * 60 * 60_000;

/** Builds the notice that two-step sign-in was turned off. */
export function twoFactorDisabledEmail(input: {
  to: string;
  name: string;
}): QueuedEmail {
  const subject = "Two-step sign-in was turned off for your Dokodo account";
  const paragraphs = [
    "Two-step sign-in was turned off for your Dokodo account, and every other device was signed out. Signing in now needs only your password.",
    "If you did not do this, reset your password now and turn two-step sign-in on again in Settings.",
  ];
  const resetUrl = appUrl("/forgot-password");
  const greeting = `Hello ${input.name},`;
  const text = [
    greeting,
    "",
    ...paragraphs.flatMap((paragraph) => [paragraph, ""]),
    `Reset your password: ${resetUrl}`,
    "",
    "— Dokodo",
  ].join("\n");
  const html = [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:sans-serif;color:#0f172a;line-height:1.5">',
    ...[greeting, ...paragraphs].map(
      (paragraph) => `<p style="margin:0 0 16px">${escapeHtml(paragraph)}</p>`,
    ),
    `<p style="margin:0 0 16px"><a href="${escapeHtml(resetUrl)}">Reset your password</a></p>`,
    '<p style="margin:0 0 16px">— Dokodo</p>',
    "</body></html>",
  ].join("");
  return {
    kind: "two-factor-disabled",
    to: input.to,
    subject,
    text,
    html,
    discardAfter: new Date(Date.now() + NOTICE_LIFETIME_MS),
  };
}

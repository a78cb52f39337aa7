import { enqueueEmail, wakeEmailWorker } from "~/modules/email/outbox.server";
import {
  passwordChangedEmail,
  passwordResetEmail,
} from "~/modules/email/templates.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { hashPassword } from "~/utils/auth.server";
import { runInBackground } from "~/utils/background.server";
import { prisma } from "~/utils/db.server";
import type { RequestInfo } from "~/utils/request-context.server";

import { checkNewPassword } from "./password.server";
import {
  consumeToken,
  findLiveToken,
  issueEmailToken,
  revokeTokens,
} from "./tokens.server";

/**
 * Starts a password reset for `email` after the response. The lookup and
 * the email happen in the background, so the request does the same work for
 * every address. Known and unknown addresses then get the same page in the
 * same time.
 */
export function requestPasswordReset(email: string, info: RequestInfo): void {
  runInBackground("password-reset-request", () =>
    sendPasswordResetEmail(email, info),
  );
}

/**
 * Queues a reset link for the account with this address, if there is one,
 * and revokes its older reset links. The route limits requests per address
 * with the "password-reset-email" throttle policy.
 */
export async function sendPasswordResetEmail(
  email: string,
  info: RequestInfo,
): Promise<void> {
  const user = await prisma.user.findUnique({
    where: { email },
    select: { id: true, name: true, email: true },
  });
  if (!user) return;

  await prisma.$transaction(async (tx) => {
    const { token, expiresAt } = await issueEmailToken(tx, {
      userId: user.id,
      purpose: "RESET_PASSWORD",
      email: user.email,
    });
    await enqueueEmail(
      tx,
      passwordResetEmail({ to: user.email, name: user.name, token, expiresAt }),
    );
  });
  wakeEmailWorker();
  await recordAuditEvent(
    {
      action: "PASSWORD_RESET_REQUESTED",
      actorId: null,
      targetType: "User",
      targetId: user.id,
    },
    info,
  );
}

/** Outcome of submitting the reset form. */
export type ResetPasswordResult =
  | { status: "reset"; userId: string; revokedSessions: number }
  | { status: "invalid" }
  | { status: "rejected"; errors: string[] };

/**
 * Sets a new password with a reset token. The policy applies with the
 * account's email and name as context. On success the token is used up,
 * other reset links are revoked, every session of the user is deleted, the
 * address counts as verified (the link reached it) and a notice is queued,
 * all in one transaction.
 */
export async function resetPassword(
  token: string,
  newPassword: unknown,
  info: RequestInfo,
): Promise<ResetPasswordResult> {
  const row = await findLiveToken(prisma, token, ["RESET_PASSWORD"]);
  if (!row) return { status: "invalid" };
  const user = await prisma.user.findUnique({
    where: { id: row.userId },
    select: { id: true, email: true, name: true, emailVerifiedAt: true },
  });
  if (!user || user.email !== row.email) return { status: "invalid" };

  const checked = await checkNewPassword(newPassword, {
    email: user.email,
    name: user.name,
  });
  if (!checked.ok) return { status: "rejected", errors: checked.errors };
  const passwordHash = await hashPassword(checked.password);

  const revokedSessions = await prisma.$transaction(async (tx) => {
    const consumed = await consumeToken(tx, token, ["RESET_PASSWORD"]);
    if (!consumed || consumed.userId !== user.id) return null;
    await tx.user.update({
      where: { id: user.id },
      data: {
        passwordHash,
        emailVerifiedAt: user.emailVerifiedAt ?? new Date(),
      },
    });
    await revokeTokens(tx, user.id, ["RESET_PASSWORD"]);
    const { count } = await tx.session.deleteMany({
      where: { userId: user.id },
    });
    await enqueueEmail(
      tx,
      passwordChangedEmail({ to: user.email, name: user.name, via: "reset" }),
    );
    return count;
  });
  if (revokedSessions === null) return { status: "invalid" };

  wakeEmailWorker();
  await recordAuditEvent(
    {
      action: "PASSWORD_RESET",
      actorId: user.id,
      targetType: "User",
      targetId: user.id,
      newValues: { revokedSessions },
    },
    info,
  );
  return { status: "reset", userId: user.id, revokedSessions };
}

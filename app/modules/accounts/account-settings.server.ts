import { enqueueEmail, wakeEmailWorker } from "~/modules/email/outbox.server";
import {
  emailChangeRequestedEmail,
  emailChangeVerificationEmail,
  emailInUseEmail,
  passwordChangedEmail,
} from "~/modules/email/templates.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { hashPassword } from "~/utils/auth.server";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import type { RequestInfo } from "~/utils/request-context.server";

import { checkNewPassword, verifyPassword } from "./password.server";
import { issueEmailToken, revokeTokens } from "./tokens.server";

export const WRONG_PASSWORD_MESSAGE = "The password is incorrect.";
export const SAME_PASSWORD_MESSAGE =
  "The new password is the same as your current password. Choose a different password.";

/** Email change requests one account may make per window. */
export const EMAIL_CHANGE_LIMIT = 3;
export const EMAIL_CHANGE_WINDOW_MS = 60 * 60_000;

/** Outcome of a password change. */
export type ChangePasswordResult =
  | { status: "changed"; revokedSessions: number }
  | { status: "wrong-password" }
  | { status: "rejected"; errors: string[] };

/**
 * Changes the signed-in user's password after checking the current one.
 * A new password equal to the current one is rejected without any change.
 * The session making the change stays signed in. The user's other sessions
 * and outstanding reset links end in the transaction that stores the new
 * hash and queues the notice.
 */
export async function changePassword(
  input: {
    userId: string;
    sessionId: string;
    currentPassword: unknown;
    newPassword: unknown;
  },
  info: RequestInfo,
): Promise<ChangePasswordResult> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: input.userId },
    select: { id: true, email: true, name: true, passwordHash: true },
  });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    return { status: "wrong-password" };
  }
  // verifyPassword accepted currentPassword, so it is a non-empty string.
  if (input.newPassword === input.currentPassword) {
    return { status: "rejected", errors: [SAME_PASSWORD_MESSAGE] };
  }
  const checked = await checkNewPassword(input.newPassword, {
    email: user.email,
    name: user.name,
  });
  if (!checked.ok) return { status: "rejected", errors: checked.errors };
  const passwordHash = await hashPassword(checked.password);

  const revokedSessions = await prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    const { count } = await tx.session.deleteMany({
      where: { userId: user.id, id: { not: input.sessionId } },
    });
    await revokeTokens(tx, user.id, ["RESET_PASSWORD"]);
    await enqueueEmail(
      tx,
      passwordChangedEmail({ to: user.email, name: user.name, via: "change" }),
    );
    return count;
  });

  wakeEmailWorker();
  await recordAuditEvent(
    {
      action: "PASSWORD_CHANGED",
      actorId: user.id,
      targetType: "User",
      targetId: user.id,
      newValues: { revokedSessions },
    },
    info,
  );
  return { status: "changed", revokedSessions };
}

/** Outcome of a profile update. */
export type UpdateProfileResult =
  | { status: "updated"; nameChanged: boolean; emailChangeRequested: boolean }
  | { status: "wrong-password" }
  | { status: "rate-limited" };

/**
 * Updates the name at once and starts an email change, which needs the
 * password. The new address gets a confirmation link and the current one a
 * notice; the account switches only when the link is used.
 *
 * A change to an address that another account uses looks the same to the
 * requester: a token is issued either way (so the pending change shows
 * alike), but its link is never sent, and the address's owner gets a
 * notice instead.
 */
export async function updateProfile(
  input: { userId: string; name: string; email: string; password?: unknown },
  info: RequestInfo,
): Promise<UpdateProfileResult> {
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: input.userId },
    select: { id: true, email: true, name: true, passwordHash: true },
  });
  const nameChanged = input.name !== user.name;
  const emailChanged = input.email !== user.email;
  if (
    emailChanged &&
    !(await verifyPassword(input.password, user.passwordHash))
  ) {
    return { status: "wrong-password" };
  }

  const outcome = await prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT "id" FROM "User" WHERE "id" = ${user.id} FOR UPDATE`;
    if (emailChanged) {
      const windowStart = new Date(Date.now() - EMAIL_CHANGE_WINDOW_MS);
      const recent = await tx.emailOutbox.count({
        where: {
          recipient: user.email,
          kind: "email-change-requested",
          createdAt: { gte: windowStart },
        },
      });
      if (recent >= EMAIL_CHANGE_LIMIT) return "rate-limited" as const;
    }
    if (nameChanged) {
      await tx.user.update({
        where: { id: user.id },
        data: { name: input.name },
      });
    }
    if (emailChanged) {
      await startEmailChange(tx, { ...user, name: input.name }, input.email);
    }
    return "updated" as const;
  });
  if (outcome === "rate-limited") return { status: "rate-limited" };

  if (nameChanged) {
    await recordAuditEvent(
      {
        action: "PROFILE_UPDATED",
        actorId: user.id,
        targetType: "User",
        targetId: user.id,
        oldValues: { name: user.name },
        newValues: { name: input.name },
      },
      info,
    );
  }
  if (emailChanged) {
    wakeEmailWorker();
    await recordAuditEvent(
      {
        action: "EMAIL_CHANGE_REQUESTED",
        actorId: user.id,
        targetType: "User",
        targetId: user.id,
        oldValues: { email: user.email },
        newValues: { email: input.email },
      },
      info,
    );
  }
  return { status: "updated", nameChanged, emailChangeRequested: emailChanged };
}

async function startEmailChange(
  tx: Prisma.TransactionClient,
  user: { id: string; email: string; name: string },
  newEmail: string,
): Promise<void> {
  const { token, expiresAt } = await issueEmailToken(tx, {
    userId: user.id,
    purpose: "CHANGE_EMAIL",
    email: newEmail,
  });
  const owner = await tx.user.findUnique({
    where: { email: newEmail },
    select: { name: true },
  });
  if (owner) {
    await enqueueEmail(tx, emailInUseEmail({ to: newEmail, name: owner.name }));
  } else {
    await enqueueEmail(
      tx,
      emailChangeVerificationEmail({
        to: newEmail,
        name: user.name,
        token,
        expiresAt,
      }),
    );
  }
  await enqueueEmail(
    tx,
    emailChangeRequestedEmail({ to: user.email, name: user.name, newEmail }),
  );
}

/** Returns the address of the user's pending email change, if any. */
export async function getPendingEmailChange(
  userId: string,
): Promise<{ email: string; expiresAt: Date } | null> {
  return prisma.emailToken.findFirst({
    where: {
      userId,
      purpose: "CHANGE_EMAIL",
      usedAt: null,
      revokedAt: null,
      expiresAt: { gt: new Date() },
    },
    orderBy: { createdAt: "desc" },
    select: { email: true, expiresAt: true },
  });
}

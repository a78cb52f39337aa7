import { Prisma } from "~/generated/prisma/client";
import { enqueueEmail, wakeEmailWorker } from "~/modules/email/outbox.server";
import {
  emailChangedEmail,
  verificationEmail,
} from "~/modules/email/templates.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { prisma } from "~/utils/db.server";
import type { RequestInfo } from "~/utils/request-context.server";

import { consumeToken, issueEmailToken, revokeTokens } from "./tokens.server";
import { httpError } from "~/utils/http-error.server";

export const VERIFY_EMAIL_FIRST_MESSAGE =
  "Confirm your email address first: open the link we sent you, or send a new one from the banner at the top of the page.";

/** Outcome of a resend request. */
export type ResendResult =
  { status: "sent"; email: string } | { status: "already-verified" };

/**
 * Sends a new verification link to the user's address and revokes the
 * older links. The route limits how often a user may call it, with the
 * "verification-resend" throttle policy.
 */
export async function resendVerificationEmail(
  userId: string,
): Promise<ResendResult> {
  const result = await prisma.$transaction(async (tx) => {
    const user = await tx.user.findUniqueOrThrow({
      where: { id: userId },
      select: { email: true, emailVerifiedAt: true },
    });
    if (user.emailVerifiedAt) return { status: "already-verified" } as const;
    const { token, expiresAt } = await issueEmailToken(tx, {
      userId,
      purpose: "VERIFY_EMAIL",
      email: user.email,
    });
    await enqueueEmail(
      tx,
      verificationEmail({ to: user.email, token, expiresAt }),
    );
    return { status: "sent", email: user.email } as const;
  });
  if (result.status === "sent") wakeEmailWorker();
  return result;
}

/** Outcome of using a verification or email-change link. */
export type ConfirmEmailResult =
  | { status: "verified"; userId: string; email: string }
  | {
      status: "changed";
      userId: string;
      email: string;
      previousEmail: string;
    }
  | { status: "invalid" }
  | { status: "taken" };

/**
 * Uses a verification or email-change token. A verification token marks the
 * address verified if it is still the account's address. An email-change
 * token switches the account to the new address, marks it verified, revokes
 * the account's other emailed links and notifies the former address. A new
 * address taken by another account in the meantime leaves the token unused.
 */
export async function confirmEmailToken(
  token: string,
  info: RequestInfo,
): Promise<ConfirmEmailResult> {
  let result: ConfirmEmailResult;
  try {
    result = await prisma.$transaction(async (tx) => {
      const row = await consumeToken(tx, token, [
        "VERIFY_EMAIL",
        "CHANGE_EMAIL",
      ]);
      if (!row) return { status: "invalid" } as const;
      const user = await tx.user.findUniqueOrThrow({
        where: { id: row.userId },
        select: { id: true, email: true, name: true, emailVerifiedAt: true },
      });
      const now = new Date();

      if (row.purpose === "VERIFY_EMAIL") {
        // A link sent to a former address proves nothing about the current one.
        if (row.email !== user.email) return { status: "invalid" } as const;
        if (!user.emailVerifiedAt) {
          await tx.user.update({
            where: { id: user.id },
            data: { emailVerifiedAt: now },
          });
        }
        return {
          status: "verified",
          userId: user.id,
          email: user.email,
        } as const;
      }

      await tx.user.update({
        where: { id: user.id },
        data: { email: row.email, emailVerifiedAt: now },
      });
      await revokeTokens(tx, user.id, [
        "VERIFY_EMAIL",
        "RESET_PASSWORD",
        "CHANGE_EMAIL",
      ]);
      await enqueueEmail(
        tx,
        emailChangedEmail({
          to: user.email,
          name: user.name,
          newEmail: row.email,
        }),
      );
      return {
        status: "changed",
        userId: user.id,
        email: row.email,
        previousEmail: user.email,
      } as const;
    });
  } catch (error) {
    if (
      error instanceof Prisma.PrismaClientKnownRequestError &&
      error.code === "P2002"
    ) {
      return { status: "taken" };
    }
    throw error;
  }

  if (result.status === "verified") {
    await recordAuditEvent(
      {
        action: "EMAIL_VERIFIED",
        actorId: result.userId,
        targetType: "User",
        targetId: result.userId,
      },
      info,
    );
  }
  if (result.status === "changed") {
    await recordAuditEvent(
      {
        action: "EMAIL_CHANGED",
        actorId: result.userId,
        targetType: "User",
        targetId: result.userId,
        oldValues: { email: result.previousEmail },
        newValues: { email: result.email },
      },
      info,
    );
    wakeEmailWorker();
  }
  return result;
}

/**
 * Throws a 403 response unless the user has verified their email address.
 * Features that send mail or bind the account, such as two-factor sign-in
 * and subscriptions, call it first.
 */
export async function requireVerifiedEmail(userId: string): Promise<void> {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { emailVerifiedAt: true },
  });
  if (!user?.emailVerifiedAt) {
    throw httpError(403, VERIFY_EMAIL_FIRST_MESSAGE);
  }
}

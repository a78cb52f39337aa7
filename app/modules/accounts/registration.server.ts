import { Prisma } from "~/generated/prisma/client";
import {
  countQueuedEmails,
  enqueueEmail,
  wakeEmailWorker,
} from "~/modules/email/outbox.server";
import {
  registrationAttemptEmail,
  verificationEmail,
} from "~/modules/email/templates.server";
import { hashPassword } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";

import { issueEmailToken } from "./tokens.server";

/**
 * Outcome of a registration. Routes must respond to both outcomes alike, so
 * the response never reveals whether an address has an account.
 */
export type RegistrationResult =
  | { created: true; userId: string }
  | { created: false; existingUserId: string };

/** Notices about repeated registration attempts an address gets per hour. */
const ATTEMPT_NOTICES_PER_HOUR = 3;

/**
 * Registers a new account, or notifies the owner of a known address that
 * someone tried to register with it.
 *
 * A new address gets a user, a personal household that the user owns and a
 * verification email, all in one transaction. No session is created, so the
 * response carries the same cookies either way. The password is hashed on
 * both paths, so both take the bcrypt time.
 */
export async function registerUser(input: {
  name: string;
  email: string;
  password: string;
}): Promise<RegistrationResult> {
  const passwordHash = await hashPassword(input.password);
  try {
    const existing = await prisma.user.findUnique({
      where: { email: input.email },
      select: { id: true, name: true },
    });
    if (existing) {
      await notifyRegistrationAttempt(existing.name, input.email);
      return { created: false, existingUserId: existing.id };
    }

    try {
      const userId = await createUnverifiedUser(input, passwordHash);
      return { created: true, userId };
    } catch (error) {
      // Two registrations raced for the address and the other one won.
      if (
        error instanceof Prisma.PrismaClientKnownRequestError &&
        error.code === "P2002"
      ) {
        const winner = await prisma.user.findUniqueOrThrow({
          where: { email: input.email },
          select: { id: true },
        });
        return { created: false, existingUserId: winner.id };
      }
      throw error;
    }
  } finally {
    wakeEmailWorker();
  }
}

async function createUnverifiedUser(
  input: { name: string; email: string },
  passwordHash: string,
): Promise<string> {
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.create({
      data: {
        name: input.name,
        email: input.email,
        passwordHash,
        memberships: {
          create: {
            role: "OWNER",
            household: { create: { name: `${input.name}'s home` } },
          },
        },
      },
      select: { id: true },
    });
    const { token, expiresAt } = await issueEmailToken(tx, {
      userId: user.id,
      purpose: "VERIFY_EMAIL",
      email: input.email,
    });
    await enqueueEmail(
      tx,
      verificationEmail({
        to: input.email,
        token,
        expiresAt,
      }),
    );
    return user.id;
  });
}

/**
 * Queues the "someone tried to register" notice, at most
 * ATTEMPT_NOTICES_PER_HOUR per address, so repeated attempts cannot flood
 * the owner's inbox.
 */
async function notifyRegistrationAttempt(
  name: string,
  email: string,
): Promise<void> {
  const hourAgo = new Date(Date.now() - 60 * 60_000);
  const recent = await countQueuedEmails(
    prisma,
    email,
    "registration-attempt",
    hourAgo,
  );
  if (recent >= ATTEMPT_NOTICES_PER_HOUR) return;
  await enqueueEmail(prisma, registrationAttemptEmail({ to: email, name }));
}

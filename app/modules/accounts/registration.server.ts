import { Prisma } from "~/generated/prisma/client";
import { hashPassword } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";

export type RegistrationResult =
  | { ok: true; userId: string }
  | { ok: false; message: string };

const EMAIL_TAKEN_MESSAGE =
  "An account with this email already exists. Sign in instead.";

/**
 * Creates a user with a personal household that the user owns, all in one
 * transaction. Returns a failure instead of throwing when the email is taken,
 * including when two registrations race for the same address.
 */
export async function registerUser(input: {
  name: string;
  email: string;
  password: string;
}): Promise<RegistrationResult> {
  const existing = await prisma.user.findUnique({
    where: { email: input.email },
    select: { id: true },
  });
  // TODO: this reveals that an address is registered; answering with a
  // "check your inbox" page needs email verification first.
  if (existing) return { ok: false, message: EMAIL_TAKEN_MESSAGE };

  const passwordHash = await hashPassword(input.password);
  try {
    const user = await prisma.user.create({
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
    return { ok: true, userId: user.id };
  } catch (error) {
    if (
      error instanceof Prisma.PrismaClientKnownRequestError &&
      error.code === "P2002"
    ) {
      return { ok: false, message: EMAIL_TAKEN_MESSAGE };
    }
    throw error;
  }
}

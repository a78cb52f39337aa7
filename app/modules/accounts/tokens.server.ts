// Single-use tokens for emailed links (verification, reset, email change).
// A token is 32 random bytes, sent as 64 hex characters in the link; the
// database keeps only its SHA-256 hash. Lookups go through the unique hash
// index, so no comparison of the secret itself happens in application code.
import { createHash, randomBytes } from "node:crypto";

import { z } from "zod";

import type { EmailToken, EmailTokenPurpose } from "~/generated/prisma/client";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";

const TOKEN_BYTES = 32;

/** How long each kind of link works, in milliseconds. */
export const TOKEN_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  VERIFY_EMAIL: 24 * 60 * 60_000,
  RESET_PASSWORD: 60 * 60_000,
  CHANGE_EMAIL: 24 * 60 * 60_000,
};

/** The shape of a token in a link; anything else is rejected unread. */
export const tokenSchema = z
  .string({ required_error: "The link is missing its token." })
  .regex(/^[0-9a-f]{64}$/, "The link is incomplete or damaged.");

type Database = Prisma.TransactionClient | typeof prisma;

/** Returns the SHA-256 hex digest under which a token is stored. */
export function hashEmailToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Creates a token for `purpose` and revokes the user's older live tokens of
 * the same purpose, so only the newest link works. Returns the plain token,
 * which must go only into the email, and its expiry.
 */
export async function issueEmailToken(
  db: Database,
  input: { userId: string; purpose: EmailTokenPurpose; email: string },
): Promise<{ token: string; expiresAt: Date }> {
  const now = new Date();
  await db.emailToken.updateMany({
    where: {
      userId: input.userId,
      purpose: input.purpose,
      usedAt: null,
      revokedAt: null,
    },
    data: { revokedAt: now },
  });
  const token = randomBytes(TOKEN_BYTES).toString("hex");
  const expiresAt = new Date(now.getTime() + TOKEN_LIFETIME_MS[input.purpose]);
  await db.emailToken.create({
    data: {
      userId: input.userId,
      purpose: input.purpose,
      email: input.email,
      tokenHash: hashEmailToken(token),
      expiresAt,
    },
  });
  return { token, expiresAt };
}

/**
 * Returns the live token row for a plain token, without using it up, or
 * null when it is unknown, used, revoked, expired or of another purpose.
 */
export async function findLiveToken(
  db: Database,
  token: string,
  purposes: EmailTokenPurpose[],
): Promise<EmailToken | null> {
  return db.emailToken.findFirst({
    where: {
      tokenHash: hashEmailToken(token),
      purpose: { in: purposes },
      usedAt: null,
      revokedAt: null,
      expiresAt: { gt: new Date() },
    },
  });
}

/**
 * Marks a live token used and returns its row, or null when it is not live.
 * The conditional update makes two concurrent uses of one link succeed at
 * most once.
 */
export async function consumeToken(
  db: Database,
  token: string,
  purposes: EmailTokenPurpose[],
): Promise<EmailToken | null> {
  const now = new Date();
  const tokenHash = hashEmailToken(token);
  const { count } = await db.emailToken.updateMany({
    where: {
      tokenHash,
      purpose: { in: purposes },
      usedAt: null,
      revokedAt: null,
      expiresAt: { gt: now },
    },
    data: { usedAt: now },
  });
  if (count !== 1) return null;
  return db.emailToken.findUnique({ where: { tokenHash } });
}

/** Revokes every live token of the given purposes; returns how many. */
export async function revokeTokens(
  db: Database,
  userId: string,
  purposes: EmailTokenPurpose[],
): Promise<number> {
  const { count } = await db.emailToken.updateMany({
    where: {
      userId,
      purpose: { in: purposes },
      usedAt: null,
      revokedAt: null,
    },
    data: { revokedAt: new Date() },
  });
  return count;
}

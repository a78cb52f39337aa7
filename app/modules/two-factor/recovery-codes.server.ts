// Recovery codes: ten single-use codes of 10 characters from Crockford's
// base32 alphabet (50 bits each), shown once as "xxxxx-xxxxx". Only their
// keyed hashes are stored (see crypto.server.ts).
import { randomInt } from "node:crypto";

import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";

import { hashRecoveryCodeCandidates } from "./crypto.server";

export const RECOVERY_CODE_COUNT = 10;
const CODE_LENGTH = 10;
/** Crockford's base32: digits and lower-case letters without i, l, o, u. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const NORMALIZED_CODE = /^[0-9abcdefghjkmnpqrstvwxyz]{10}$/;

/** Returns RECOVERY_CODE_COUNT new codes, formatted for display. */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = "";
    for (let index = 0; index < CODE_LENGTH; index += 1) {
      code += ALPHABET[randomInt(ALPHABET.length)];
    }
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/**
 * Returns a submitted code in stored form (lower case, without spaces or
 * hyphens), or null when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, "");
  return NORMALIZED_CODE.test(code) ? code : null;
}

/**
 * Replaces all of the user's recovery codes with `codes`. Call it inside the
 * transaction that enables two-step sign-in or regenerates the codes.
 */
export async function replaceRecoveryCodes(
  tx: Prisma.TransactionClient,
  userId: string,
  codes: string[],
): Promise<void> {
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({
    data: codes.map((code) => ({
      userId,
      // The first entry is the hash under the first, current key.
      codeHash: hashRecoveryCodeCandidates(normalizeRecoveryCode(code)!)[0]!,
    })),
  });
}

/**
 * Marks one unused recovery code of the user as used and returns true, or
 * returns false when the code is unknown or already used. The conditional
 * UPDATE makes parallel submissions of one code succeed exactly once.
 */
export async function consumeRecoveryCode(
  userId: string,
  input: string,
): Promise<boolean> {
  const code = normalizeRecoveryCode(input);
  if (!code) return false;
  const row = await prisma.recoveryCode.findFirst({
    where: {
      userId,
      codeHash: { in: hashRecoveryCodeCandidates(code) },
      usedAt: null,
    },
    select: { id: true },
  });
  if (!row) return false;
  const updated = await prisma.$executeRaw`
    UPDATE "RecoveryCode" SET "usedAt" = now()
    WHERE "id" = ${row.id} AND "userId" = ${userId} AND "usedAt" IS NULL`;
  return updated === 1;
}

/** Counts the user's unused recovery codes. */
export function countUnusedRecoveryCodes(userId: string): Promise<number> {
  return prisma.recoveryCode.count({ where: { userId, usedAt: null } });
}

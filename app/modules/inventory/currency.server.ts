import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import { getEnv } from "~/utils/env.server";

type DatabaseClient = Prisma.TransactionClient | typeof prisma;

/**
 * Returns the ISO 4217 currency of a household's prices: its own, or
 * DEFAULT_CURRENCY while it has stored no price yet.
 */
export async function getHouseholdCurrency(
  db: DatabaseClient,
  householdId: string,
): Promise<string> {
  const household = await db.household.findUnique({
    where: { id: householdId },
    select: { currency: true },
  });
  return household?.currency ?? getEnv().DEFAULT_CURRENCY;
}

/**
 * Fixes a household's currency to the one its first prices were parsed in.
 * Run it in the transaction that stores prices. A household that already
 * has a currency keeps it.
 */
export async function fixHouseholdCurrency(
  tx: Prisma.TransactionClient,
  householdId: string,
  currency: string,
): Promise<void> {
  await tx.household.updateMany({
    where: { id: householdId, currency: null },
    data: { currency },
  });
}

import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";

import { toTagKey } from "./schemas";
import type { HouseholdScope } from "./scope.server";

/** A tag name with the number of items in scope that carry it. */
export type TagSummary = { name: string; itemCount: number };

/**
 * Creates the household's missing tags and returns the IDs of all `names`.
 *
 * The insert uses ON CONFLICT DO NOTHING on the [householdId, nameKey]
 * unique index, so two requests adding the same new tag at once both
 * succeed and share one row. Existing tags keep their original spelling.
 */
async function ensureTags(
  tx: Prisma.TransactionClient,
  householdId: string,
  names: string[],
): Promise<string[]> {
  if (names.length === 0) return [];
  await tx.tag.createMany({
    data: names.map((name) => ({ householdId, name, nameKey: toTagKey(name) })),
    skipDuplicates: true,
  });
  const tags = await tx.tag.findMany({
    where: { householdId, nameKey: { in: names.map(toTagKey) } },
    select: { id: true },
  });
  return tags.map((tag) => tag.id);
}

/**
 * Replaces an item's tag links with `names`, creating missing tags in the
 * item's household. Run it inside the transaction that writes the item.
 */
export async function setItemTags(
  tx: Prisma.TransactionClient,
  item: { id: string; householdId: string },
  names: string[],
): Promise<void> {
  const tagIds = await ensureTags(tx, item.householdId, names);
  await tx.itemTag.deleteMany({ where: { itemId: item.id } });
  if (tagIds.length > 0) {
    await tx.itemTag.createMany({
      data: tagIds.map((tagId) => ({ itemId: item.id, tagId })),
    });
  }
}

/**
 * Lists the tags that at least one item in scope carries, sorted by name.
 * Tags of several households that differ only in case are merged, because
 * the item list filters by name across all of the user's households.
 */
export async function listTagsInUse(
  scope: HouseholdScope,
): Promise<TagSummary[]> {
  const tags = await prisma.tag.findMany({
    where: {
      householdId: { in: scope.householdIds },
      items: { some: {} },
    },
    select: { name: true, nameKey: true, _count: { select: { items: true } } },
    orderBy: [{ nameKey: "asc" }, { createdAt: "asc" }],
  });
  const summaries = new Map<string, TagSummary>();
  for (const tag of tags) {
    const summary = summaries.get(tag.nameKey);
    if (summary) summary.itemCount += tag._count.items;
    else {
      summaries.set(tag.nameKey, {
        name: tag.name,
        itemCount: tag._count.items,
      });
    }
  }
  return [...summaries.values()];
}

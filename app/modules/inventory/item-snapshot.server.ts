import type { Prisma } from "~/utils/db.server";

import { getHouseholdCurrency } from "./currency.server";
import type { ItemDetailValues } from "./item-details";
import {
  ITEM_DETAIL_FIELDS,
  ITEM_DETAIL_SELECT,
  readItemDetails,
} from "./item-details";
import { findAncestors } from "./location-tree.server";

/** A price as the audit log stores it. */
export type PriceSnapshot = {
  /** Integer amount of the currency's minor unit, such as cents. */
  minorUnits: number | string;
  /** ISO 4217 code. */
  currency: string;
};

/**
 * Every value of an item as JSON, for the oldValues of ITEM_DELETED. Items
 * hold no secrets, so nothing is left out.
 */
export type ItemSnapshot = {
  name: string;
  description: string;
  quantity: number;
  /** The location with the names from the top level down, or null. */
  location: { id: string; path: string[] } | null;
  /** The item this one was part of. */
  parentId: string | null;
  /** Items that were part of this one. Deleting it clears their parent. */
  partIds: string[];
  tags: string[];
  /** Custom fields sorted by name. */
  customFields: { name: string; value: string }[];
  importRef: string | null;
  createdAt: string;
  updatedAt: string;
} & {
  [Key in keyof ItemDetailValues]: ItemDetailValues[Key] extends bigint | null
    ? PriceSnapshot | null
    : ItemDetailValues[Key];
};

function toPriceSnapshot(
  minorUnits: bigint | null,
  currency: string,
): PriceSnapshot | null {
  if (minorUnits === null) return null;
  // Prices parsed by parseMoney have at most 15 digits, so a JSON number
  // represents them exactly. A larger value written by hand stays a string.
  const number = Number(minorUnits);
  return {
    minorUnits: Number.isSafeInteger(number) ? number : minorUnits.toString(),
    currency,
  };
}

/**
 * Reads an item with its details, tags, custom fields, parts and location
 * path as it is now in `tx`. Returns null when the item is not in the
 * household. Call it in the transaction that deletes the item, after
 * locking the item's row, so the snapshot is what was deleted.
 */
export async function readItemSnapshot(
  tx: Prisma.TransactionClient,
  householdId: string,
  itemId: string,
): Promise<ItemSnapshot | null> {
  const item = await tx.item.findFirst({
    where: { id: itemId, householdId },
    select: {
      name: true,
      description: true,
      quantity: true,
      locationId: true,
      parentId: true,
      importRef: true,
      createdAt: true,
      updatedAt: true,
      ...ITEM_DETAIL_SELECT,
      tags: { select: { tag: { select: { name: true } } } },
      fields: { select: { name: true, value: true }, orderBy: { name: "asc" } },
      parts: { select: { id: true }, orderBy: { id: "asc" } },
    },
  });
  if (!item) return null;

  const currency = await getHouseholdCurrency(tx, householdId);
  const values = readItemDetails(item);
  const details: Record<string, unknown> = {};
  for (const field of ITEM_DETAIL_FIELDS) {
    const value = values[field.key];
    details[field.key] =
      field.kind.type === "money"
        ? toPriceSnapshot(value as bigint | null, currency)
        : value;
  }
  const path = item.locationId
    ? await findAncestors(tx, householdId, item.locationId)
    : [];

  return {
    name: item.name,
    description: item.description,
    quantity: item.quantity,
    location: item.locationId
      ? { id: item.locationId, path: path.map((entry) => entry.name) }
      : null,
    parentId: item.parentId,
    partIds: item.parts.map((part) => part.id),
    tags: item.tags.map((link) => link.tag.name).sort(),
    customFields: item.fields,
    importRef: item.importRef,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
    ...details,
  } as ItemSnapshot;
}

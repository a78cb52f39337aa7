import { Prisma as PrismaRuntime } from "~/generated/prisma/client";
import { recordAuditEvent } from "~/utils/audit.server";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import type { RequestInfo } from "~/utils/request-context.server";

import { fixHouseholdCurrency, getHouseholdCurrency } from "./currency.server";
import type {
  CustomFieldEntry,
  ItemDetailKey,
  ItemDetailValues,
} from "./item-details";
import {
  formatDetailForDisplay,
  formatDetailText,
  hasPrice,
  ITEM_DETAIL_FIELDS,
  ITEM_DETAIL_SELECT,
  readItemDetails,
  toItemDetailData,
} from "./item-details";
import { readItemSnapshot } from "./item-snapshot.server";
import type { LocationIndex, LocationOption } from "./location-tree.server";
import {
  findSubtreeIds,
  listAncestors,
  listLocationOptions,
  loadLocationIndex,
} from "./location-tree.server";
import type { ItemInput, ItemListQuery } from "./schemas";
import {
  CHOOSE_LOCATION_MESSAGE,
  ITEMS_PER_PAGE,
  toTagKey,
  UNKNOWN_LOCATION_FILTER_MESSAGE,
} from "./schemas";
import type { HouseholdScope } from "./scope.server";
import {
  canEditHousehold,
  editableHouseholdIds,
  notFound,
  requireEditAccess,
} from "./scope.server";
import { setItemTags } from "./tags.server";

/** One row of the item list. */
export type ItemListEntry = {
  id: string;
  name: string;
  quantity: number;
  locationId: string | null;
  locationPath: string | null;
  tags: string[];
};

/** One page of matching items, or a message about an invalid filter. */
export type ItemSearchResult =
  | {
      ok: true;
      items: ItemListEntry[];
      total: number;
      page: number;
      pageCount: number;
      /** The location filter, with its full path, when one is set. */
      location: { id: string; path: string } | null;
    }
  | { ok: false; message: string };

/** The outcome of an item change that can fail on user input. */
export type ItemChangeResult =
  { ok: true; id: string } | { ok: false; errors: FieldErrors };

/** An item with everything its page shows. */
export type ItemDetails = {
  id: string;
  householdId: string;
  name: string;
  description: string;
  quantity: number;
  locationId: string | null;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
  /** Locations from the top level down to the item's location. */
  breadcrumb: { id: string; name: string }[];
  canEdit: boolean;
  /** ISO 4217 code of the household's prices. */
  currency: string;
  /** Every detail as the item form shows it, such as "19.99" or "true". */
  detailText: Record<ItemDetailKey, string>;
  /** Recorded details formatted for reading, in ITEM_DETAIL_FIELDS order. */
  detailEntries: { key: ItemDetailKey; label: string; text: string }[];
  archived: boolean;
  /** Custom fields sorted by name. */
  customFields: CustomFieldEntry[];
  /** The item this one is part of. */
  parent: { id: string; name: string } | null;
  /** Items that are part of this one, by name, at most PARTS_SHOWN_MAX. */
  parts: { id: string; name: string }[];
  partCount: number;
};

/** Maximum number of parts listed on an item page. */
export const PARTS_SHOWN_MAX = 100;

const itemListSelect = {
  id: true,
  name: true,
  quantity: true,
  locationId: true,
  tags: { select: { tag: { select: { name: true } } } },
} satisfies Prisma.ItemSelect;

function isForeignKeyViolation(error: unknown): boolean {
  return (
    error instanceof PrismaRuntime.PrismaClientKnownRequestError &&
    error.code === "P2003"
  );
}

/**
 * Escapes the LIKE wildcards % and _ and the escape character itself.
 * Prisma 6.19 passes `contains` values into ILIKE unescaped, so without
 * this a search for "%" would match every item.
 */
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Finds the items in scope that match the search text, tag and location
 * filters, newest change first, one page at a time. The search text is a
 * case-insensitive substring of the name, description or a tag name. The
 * location filter includes every nested location. A page past the last one
 * returns no items with the real `pageCount`, so callers can redirect.
 */
export async function searchItems(
  scope: HouseholdScope,
  query: ItemListQuery,
): Promise<ItemSearchResult> {
  const index = await loadLocationIndex(scope.householdIds);
  const filters: Prisma.ItemWhereInput[] = [];

  if (query.q) {
    const pattern = escapeLikePattern(query.q);
    filters.push({
      OR: [
        { name: { contains: pattern, mode: "insensitive" } },
        { description: { contains: pattern, mode: "insensitive" } },
        // nameKey is stored lower-cased and has its own trigram index.
        {
          tags: { some: { tag: { nameKey: { contains: toTagKey(pattern) } } } },
        },
      ],
    });
  }
  if (query.tag) {
    filters.push({ tags: { some: { tag: { nameKey: toTagKey(query.tag) } } } });
  }

  let location: { id: string; path: string } | null = null;
  if (query.locationId) {
    const subtreeIds = await findSubtreeIds(
      prisma,
      scope.householdIds,
      query.locationId,
    );
    const node = index.byId.get(query.locationId);
    if (subtreeIds.length === 0 || !node) {
      return { ok: false, message: UNKNOWN_LOCATION_FILTER_MESSAGE };
    }
    location = { id: node.id, path: node.path };
    filters.push({ locationId: { in: subtreeIds } });
  }

  const where: Prisma.ItemWhereInput = {
    householdId: { in: scope.householdIds },
    AND: filters,
  };
  const total = await prisma.item.count({ where });
  const pageCount = Math.max(1, Math.ceil(total / ITEMS_PER_PAGE));
  if (query.page > pageCount) {
    return {
      ok: true,
      items: [],
      total,
      page: query.page,
      pageCount,
      location,
    };
  }

  const rows = await prisma.item.findMany({
    where,
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
    skip: (query.page - 1) * ITEMS_PER_PAGE,
    take: ITEMS_PER_PAGE,
    select: itemListSelect,
  });
  const items = rows.map((row) => ({
    id: row.id,
    name: row.name,
    quantity: row.quantity,
    locationId: row.locationId,
    locationPath: row.locationId
      ? (index.byId.get(row.locationId)?.path ?? null)
      : null,
    tags: row.tags.map((link) => link.tag.name).sort(),
  }));
  return { ok: true, items, total, page: query.page, pageCount, location };
}

/** Loads an item in scope with its tags and location path, or throws 404. */
export async function getItemDetails(
  scope: HouseholdScope,
  itemId: string,
): Promise<ItemDetails> {
  const { item } = await loadItemWithLocations(scope, itemId);
  return item;
}

/**
 * Loads an item for its edit form with the locations it may move to, which
 * are those of its own household. Throws 404 outside scope, 403 for viewers.
 */
export async function getItemForEdit(
  scope: HouseholdScope,
  itemId: string,
): Promise<{ item: ItemDetails; locationOptions: LocationOption[] }> {
  const { item, index } = await loadItemWithLocations(scope, itemId);
  requireEditAccess(scope, item.householdId);
  const locationOptions = listLocationOptions(index, scope, {
    householdIds: [item.householdId],
  });
  return { item, locationOptions };
}

async function loadItemWithLocations(
  scope: HouseholdScope,
  itemId: string,
): Promise<{ item: ItemDetails; index: LocationIndex }> {
  const item = await prisma.item.findFirst({
    where: { id: itemId, householdId: { in: scope.householdIds } },
    select: {
      id: true,
      householdId: true,
      name: true,
      description: true,
      quantity: true,
      locationId: true,
      createdAt: true,
      updatedAt: true,
      ...ITEM_DETAIL_SELECT,
      tags: { select: { tag: { select: { name: true } } } },
      fields: {
        select: { name: true, value: true },
        orderBy: { name: "asc" },
      },
      // The parent and parts are always in the item's household, because
      // only writes that check the household set parentId.
      parent: { select: { id: true, name: true } },
      parts: {
        select: { id: true, name: true },
        orderBy: [{ name: "asc" }, { id: "asc" }],
        take: PARTS_SHOWN_MAX,
      },
      _count: { select: { parts: true } },
    },
  });
  if (!item) notFound();

  const [index, currency] = await Promise.all([
    loadLocationIndex([item.householdId]),
    getHouseholdCurrency(prisma, item.householdId),
  ]);
  const values = readItemDetails(item);
  const detailText = {} as Record<ItemDetailKey, string>;
  const detailEntries: ItemDetails["detailEntries"] = [];
  for (const field of ITEM_DETAIL_FIELDS) {
    detailText[field.key] = formatDetailText(field, values, currency);
    const text = formatDetailForDisplay(field, values, currency);
    if (text !== null && field.key !== "archived") {
      detailEntries.push({ key: field.key, label: field.label, text });
    }
  }
  const details: ItemDetails = {
    id: item.id,
    householdId: item.householdId,
    name: item.name,
    description: item.description,
    quantity: item.quantity,
    locationId: item.locationId,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    tags: item.tags.map((link) => link.tag.name).sort(),
    breadcrumb: item.locationId ? listAncestors(index, item.locationId) : [],
    canEdit: canEditHousehold(scope, item.householdId),
    currency,
    detailText,
    detailEntries,
    archived: item.archived,
    customFields: item.fields,
    parent: item.parent,
    parts: item.parts,
    partCount: item._count.parts,
  };
  return { item: details, index };
}

/**
 * Returns the currency that prices on the new-item form are read in: that
 * of the chosen location's household, or of the default household when no
 * location in scope is chosen. createItem checks the location again.
 */
export async function getNewItemCurrency(
  scope: HouseholdScope,
  locationId: string | null,
): Promise<string> {
  let householdId = scope.defaultHouseholdId;
  if (locationId) {
    const location = await prisma.location.findFirst({
      where: { id: locationId, householdId: { in: scope.householdIds } },
      select: { householdId: true },
    });
    if (location) householdId = location.householdId;
  }
  return getHouseholdCurrency(prisma, householdId);
}

/**
 * Replaces an item's custom fields. Run it inside the transaction that
 * writes the item.
 */
async function setCustomFields(
  tx: Prisma.TransactionClient,
  itemId: string,
  fields: CustomFieldEntry[],
): Promise<void> {
  await tx.itemField.deleteMany({ where: { itemId } });
  if (fields.length > 0) {
    await tx.itemField.createMany({
      data: fields.map((field) => ({ itemId, ...field })),
    });
  }
}

/**
 * Returns the item columns for stored details, and fixes the household
 * currency when a price is stored. `currency` is the one the form's prices
 * were read in.
 */
async function prepareDetails(
  tx: Prisma.TransactionClient,
  householdId: string,
  details: ItemDetailValues,
  currency: string,
) {
  if (hasPrice(details)) await fixHouseholdCurrency(tx, householdId, currency);
  return toItemDetailData(details);
}

/**
 * Creates an item with its tags, details and custom fields in one
 * transaction. The item joins the household of its location, or the default
 * household without one. `currency` is the one the form's prices were read
 * in, and must still be the household's.
 */
export async function createItem(
  scope: HouseholdScope,
  input: ItemInput,
  currency: string,
): Promise<ItemChangeResult> {
  let householdId = scope.defaultHouseholdId;
  if (input.locationId) {
    const location = await prisma.location.findFirst({
      where: {
        id: input.locationId,
        householdId: { in: editableHouseholdIds(scope) },
      },
      select: { householdId: true },
    });
    if (!location) return locationError();
    householdId = location.householdId;
  }
  requireEditAccess(scope, householdId);
  if (
    hasPrice(input.details) &&
    (await getHouseholdCurrency(prisma, householdId)) !== currency
  ) {
    return currencyChangedError();
  }

  try {
    const id = await prisma.$transaction(async (tx) => {
      const details = await prepareDetails(
        tx,
        householdId,
        input.details,
        currency,
      );
      const item = await tx.item.create({
        data: {
          householdId,
          locationId: input.locationId,
          name: input.name,
          description: input.description,
          quantity: input.quantity,
          ...details,
        },
        select: { id: true, householdId: true },
      });
      await setItemTags(tx, item, input.tags);
      await setCustomFields(tx, item.id, input.customFields);
      return item.id;
    });
    return { ok: true, id };
  } catch (error) {
    // The location was deleted between the check above and the insert.
    if (isForeignKeyViolation(error)) return locationError();
    throw error;
  }
}

/**
 * Updates an item and replaces its details, tags and custom fields in one
 * transaction. The location must be in the item's household, because tags
 * belong to a household. `currency` is the one the form's prices were read
 * in, and must still be the household's.
 */
export async function updateItem(
  scope: HouseholdScope,
  itemId: string,
  input: ItemInput,
  currency: string,
): Promise<ItemChangeResult> {
  const existing = await prisma.item.findFirst({
    where: { id: itemId, householdId: { in: scope.householdIds } },
    select: { id: true, householdId: true },
  });
  if (!existing) notFound();
  requireEditAccess(scope, existing.householdId);

  if (input.locationId) {
    const location = await prisma.location.findFirst({
      where: { id: input.locationId, householdId: existing.householdId },
      select: { id: true },
    });
    if (!location) return locationError();
  }
  if (
    hasPrice(input.details) &&
    (await getHouseholdCurrency(prisma, existing.householdId)) !== currency
  ) {
    return currencyChangedError();
  }

  try {
    await prisma.$transaction(async (tx) => {
      const details = await prepareDetails(
        tx,
        existing.householdId,
        input.details,
        currency,
      );
      const { count } = await tx.item.updateMany({
        where: { id: existing.id, householdId: existing.householdId },
        data: {
          locationId: input.locationId,
          name: input.name,
          description: input.description,
          quantity: input.quantity,
          ...details,
        },
      });
      if (count === 0) notFound();
      await setItemTags(tx, existing, input.tags);
      await setCustomFields(tx, existing.id, input.customFields);
    });
    return { ok: true, id: existing.id };
  } catch (error) {
    if (isForeignKeyViolation(error)) return locationError();
    throw error;
  }
}

/**
 * Deletes an item with its tag links and custom fields, clears the parent
 * of its parts, and records ITEM_DELETED with the whole item as oldValues.
 * The snapshot is read in the deleting transaction with the item's row
 * locked, so a concurrent edit cannot make it differ from what was deleted.
 */
export async function deleteItem(
  scope: HouseholdScope,
  itemId: string,
  info: RequestInfo,
): Promise<void> {
  const item = await prisma.item.findFirst({
    where: { id: itemId, householdId: { in: scope.householdIds } },
    select: { id: true, householdId: true },
  });
  if (!item) notFound();
  requireEditAccess(scope, item.householdId);

  const snapshot = await prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "Item"
      WHERE id = ${item.id} AND "householdId" = ${item.householdId}
      FOR UPDATE`;
    if (locked.length === 0) notFound();
    const before = await readItemSnapshot(tx, item.householdId, item.id);
    if (!before) notFound();
    await tx.item.delete({ where: { id: item.id } });
    return before;
  });

  await recordAuditEvent(
    {
      action: "ITEM_DELETED",
      actorId: scope.userId,
      targetType: "Item",
      targetId: item.id,
      oldValues: snapshot,
    },
    info,
  );
}

function locationError(): ItemChangeResult {
  return { ok: false, errors: { locationId: [CHOOSE_LOCATION_MESSAGE] } };
}

/**
 * Rejects prices read in another currency than the target household's,
 * which happens when the chosen location belongs to another household.
 */
function currencyChangedError(): ItemChangeResult {
  return {
    ok: false,
    errors: {
      purchasePrice: [
        "Prices are stored in the currency of the location's household, which differs from the one this form showed. Check the prices and save again.",
      ],
    },
  };
}

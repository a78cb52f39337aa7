import { Prisma as PrismaRuntime } from "~/generated/prisma/client";
import { recordAuditEvent } from "~/utils/audit.server";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import type { RequestInfo } from "~/utils/request-context.server";

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
};

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
      tags: { select: { tag: { select: { name: true } } } },
    },
  });
  if (!item) notFound();

  const index = await loadLocationIndex([item.householdId]);
  const details = {
    ...item,
    tags: item.tags.map((link) => link.tag.name).sort(),
    breadcrumb: item.locationId ? listAncestors(index, item.locationId) : [],
    canEdit: canEditHousehold(scope, item.householdId),
  };
  return { item: details, index };
}

/**
 * Creates an item and its tags in one transaction. The item joins the
 * household of its location, or the default household without one.
 */
export async function createItem(
  scope: HouseholdScope,
  input: ItemInput,
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

  try {
    const id = await prisma.$transaction(async (tx) => {
      const item = await tx.item.create({
        data: {
          householdId,
          locationId: input.locationId,
          name: input.name,
          description: input.description,
          quantity: input.quantity,
        },
        select: { id: true, householdId: true },
      });
      await setItemTags(tx, item, input.tags);
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
 * Updates an item and replaces its tags in one transaction. The location
 * must be in the item's household, because tags belong to a household.
 */
export async function updateItem(
  scope: HouseholdScope,
  itemId: string,
  input: ItemInput,
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

  try {
    await prisma.$transaction(async (tx) => {
      const { count } = await tx.item.updateMany({
        where: { id: existing.id, householdId: existing.householdId },
        data: {
          locationId: input.locationId,
          name: input.name,
          description: input.description,
          quantity: input.quantity,
        },
      });
      if (count === 0) notFound();
      await setItemTags(tx, existing, input.tags);
    });
    return { ok: true, id: existing.id };
  } catch (error) {
    if (isForeignKeyViolation(error)) return locationError();
    throw error;
  }
}

/** Deletes an item with its tag links and records ITEM_DELETED. */
export async function deleteItem(
  scope: HouseholdScope,
  itemId: string,
  info: RequestInfo,
): Promise<void> {
  const item = await prisma.item.findFirst({
    where: { id: itemId, householdId: { in: scope.householdIds } },
    select: {
      id: true,
      householdId: true,
      name: true,
      locationId: true,
      quantity: true,
    },
  });
  if (!item) notFound();
  requireEditAccess(scope, item.householdId);

  const { count } = await prisma.item.deleteMany({
    where: { id: item.id, householdId: item.householdId },
  });
  if (count === 0) notFound();

  await recordAuditEvent(
    {
      action: "ITEM_DELETED",
      actorId: scope.userId,
      targetType: "Item",
      targetId: item.id,
      oldValues: {
        name: item.name,
        locationId: item.locationId,
        quantity: item.quantity,
      },
    },
    info,
  );
}

function locationError(): ItemChangeResult {
  return { ok: false, errors: { locationId: [CHOOSE_LOCATION_MESSAGE] } };
}

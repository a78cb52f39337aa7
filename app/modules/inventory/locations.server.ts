import { Prisma as PrismaRuntime } from "~/generated/prisma/client";
import { recordAuditEvent } from "~/utils/audit.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import type { RequestInfo } from "~/utils/request-context.server";

import type { LocationNode, LocationOption } from "./location-tree.server";
import {
  findSubtreeIds,
  listAncestors,
  listLocationOptions,
  loadLocationIndex,
} from "./location-tree.server";
import { CHOOSE_LOCATION_MESSAGE } from "./schemas";
import type { HouseholdScope } from "./scope.server";
import {
  canEditHousehold,
  editableHouseholdIds,
  notFound,
  requireEditAccess,
} from "./scope.server";

/** The outcome of a location change that can fail on user input. */
export type LocationChangeResult =
  { ok: true; id: string } | { ok: false; errors: FieldErrors };

/** Everything the page of one location shows. */
export type LocationPage = {
  location: Omit<LocationNode, "children">;
  breadcrumb: { id: string; name: string }[];
  children: Omit<LocationNode, "children">[];
  items: { id: string; name: string; quantity: number; tags: string[] }[];
  moveOptions: LocationOption[];
  canEdit: boolean;
};

function withoutChildren(node: LocationNode): Omit<LocationNode, "children"> {
  const { children: _children, ...rest } = node;
  return rest;
}

function isForeignKeyViolation(error: unknown): boolean {
  return (
    error instanceof PrismaRuntime.PrismaClientKnownRequestError &&
    error.code === "P2003"
  );
}

function plural(count: number, singular: string, pluralForm: string): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Loads the location tree of every household in scope, with item counts. */
export async function getLocationTree(
  scope: HouseholdScope,
): Promise<LocationNode[]> {
  const index = await loadLocationIndex(scope.householdIds);
  return index.roots;
}

/**
 * Lists the locations of some households as select options. By default
 * these are the households the user may edit, where new rows can go.
 */
export async function getLocationOptions(
  scope: HouseholdScope,
  householdIds: string[] = editableHouseholdIds(scope),
): Promise<LocationOption[]> {
  const index = await loadLocationIndex(householdIds);
  return listLocationOptions(index, scope, { householdIds });
}

/**
 * Loads one location with its path, sub-locations and items. Throws 404
 * when the location is not in the user's households.
 */
export async function getLocationPage(
  scope: HouseholdScope,
  locationId: string,
): Promise<LocationPage> {
  const index = await loadLocationIndex(scope.householdIds);
  const node = index.byId.get(locationId) ?? notFound();
  const items = await prisma.item.findMany({
    where: { locationId: node.id, householdId: { in: scope.householdIds } },
    orderBy: [{ name: "asc" }, { id: "asc" }],
    select: {
      id: true,
      name: true,
      quantity: true,
      tags: { select: { tag: { select: { name: true } } } },
    },
  });
  return {
    location: withoutChildren(node),
    breadcrumb: listAncestors(index, node.id),
    children: node.children.map(withoutChildren),
    items: items.map((item) => ({
      id: item.id,
      name: item.name,
      quantity: item.quantity,
      tags: item.tags.map((link) => link.tag.name).sort(),
    })),
    moveOptions: listLocationOptions(index, scope, {
      householdIds: [node.householdId],
      excludeSubtreeOf: node.id,
    }),
    canEdit: canEditHousehold(scope, node.householdId),
  };
}

/**
 * Loads a location in scope or throws 404. Actions call it before reading
 * the form, so another household's ID gets 404 whatever the form holds.
 */
export async function findLocationInScope(
  scope: HouseholdScope,
  locationId: string,
) {
  const location = await prisma.location.findFirst({
    where: { id: locationId, householdId: { in: scope.householdIds } },
    select: { id: true, name: true, parentId: true, householdId: true },
  });
  return location ?? notFound();
}

/**
 * Creates a location, under `parentId` when given. The new location joins
 * the parent's household, or the default household at the top level. A
 * parent the user cannot edit is a field error, never a 404 or 500.
 */
export async function createLocation(
  scope: HouseholdScope,
  input: { name: string; parentId: string | null },
): Promise<LocationChangeResult> {
  let householdId = scope.defaultHouseholdId;
  if (input.parentId) {
    const parent = await prisma.location.findFirst({
      where: {
        id: input.parentId,
        householdId: { in: editableHouseholdIds(scope) },
      },
      select: { householdId: true },
    });
    if (!parent)
      return { ok: false, errors: { parentId: [CHOOSE_LOCATION_MESSAGE] } };
    householdId = parent.householdId;
  }
  requireEditAccess(scope, householdId);

  try {
    const location = await prisma.location.create({
      data: { householdId, parentId: input.parentId, name: input.name },
      select: { id: true },
    });
    return { ok: true, id: location.id };
  } catch (error) {
    // The parent was deleted between the check above and the insert.
    if (isForeignKeyViolation(error)) {
      return { ok: false, errors: { parentId: [CHOOSE_LOCATION_MESSAGE] } };
    }
    throw error;
  }
}

/** Renames a location. Throws 404 outside scope and 403 for viewers. */
export async function renameLocation(
  scope: HouseholdScope,
  locationId: string,
  name: string,
): Promise<LocationChangeResult> {
  const location = await findLocationInScope(scope, locationId);
  requireEditAccess(scope, location.householdId);
  const { count } = await prisma.location.updateMany({
    where: { id: location.id, householdId: location.householdId },
    data: { name },
  });
  if (count === 0) notFound();
  return { ok: true, id: location.id };
}

/**
 * Moves a location under `parentId`, or to the top level when it is null.
 *
 * The cycle check and the update run in one transaction that first locks
 * the household row. Every move in a household takes that lock, so two
 * concurrent moves cannot each pass the check and together form a cycle.
 */
export async function moveLocation(
  scope: HouseholdScope,
  locationId: string,
  parentId: string | null,
): Promise<LocationChangeResult> {
  const location = await findLocationInScope(scope, locationId);
  requireEditAccess(scope, location.householdId);
  if (parentId === location.id) {
    return {
      ok: false,
      errors: {
        parentId: [
          `“${location.name}” cannot be placed inside itself. Choose another location or Top level.`,
        ],
      },
    };
  }

  return prisma.$transaction(async (tx): Promise<LocationChangeResult> => {
    await tx.$queryRaw`
      SELECT id FROM "Household" WHERE id = ${location.householdId} FOR UPDATE`;

    if (parentId) {
      const parent = await tx.location.findFirst({
        where: { id: parentId, householdId: location.householdId },
        select: { id: true, name: true },
      });
      if (!parent) {
        return { ok: false, errors: { parentId: [CHOOSE_LOCATION_MESSAGE] } };
      }
      const subtree = await findSubtreeIds(
        tx,
        [location.householdId],
        location.id,
      );
      if (subtree.includes(parent.id)) {
        return {
          ok: false,
          errors: {
            parentId: [
              `“${parent.name}” is inside “${location.name}”, so “${location.name}” cannot move into it. Choose a location outside “${location.name}”.`,
            ],
          },
        };
      }
    }

    const { count } = await tx.location.updateMany({
      where: { id: location.id, householdId: location.householdId },
      data: { parentId },
    });
    if (count === 0) notFound();
    return { ok: true, id: location.id };
  });
}

/** The outcome of deleting a location. */
export type LocationDeleteResult =
  { ok: true } | { ok: false; message: string };

/**
 * Deletes an empty location and records LOCATION_DELETED. A location that
 * still contains items or sub-locations is kept, and the message names what to
 * move first.
 *
 * The row is locked FOR UPDATE before counting. Inserting an item or
 * sub-location that references it needs a key-share lock on the same row,
 * so such an insert waits for this transaction and then fails its foreign
 * key check instead of slipping in between the count and the delete.
 */
export async function deleteLocation(
  scope: HouseholdScope,
  locationId: string,
  info: RequestInfo,
): Promise<LocationDeleteResult> {
  const location = await findLocationInScope(scope, locationId);
  requireEditAccess(scope, location.householdId);

  let result: LocationDeleteResult;
  try {
    result = await prisma.$transaction(
      async (tx): Promise<LocationDeleteResult> => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM "Location"
          WHERE id = ${location.id} AND "householdId" = ${location.householdId}
          FOR UPDATE`;
        if (locked.length === 0) notFound();

        const [itemCount, childCount] = await Promise.all([
          tx.item.count({ where: { locationId: location.id } }),
          tx.location.count({ where: { parentId: location.id } }),
        ]);
        if (itemCount > 0 || childCount > 0) {
          return {
            ok: false,
            message: notEmptyMessage(location.name, itemCount, childCount),
          };
        }
        await tx.location.delete({ where: { id: location.id } });
        return { ok: true };
      },
    );
  } catch (error) {
    // The foreign keys restrict deletes, so a row that slipped in anyway
    // fails the delete rather than losing data.
    if (isForeignKeyViolation(error)) {
      return {
        ok: false,
        message: `“${location.name}” is not empty. Reload the page to see what it contains, then move or delete those first.`,
      };
    }
    throw error;
  }

  if (result.ok) {
    await recordAuditEvent(
      {
        action: "LOCATION_DELETED",
        actorId: scope.userId,
        targetType: "Location",
        targetId: location.id,
        oldValues: { name: location.name, parentId: location.parentId },
      },
      info,
    );
  }
  return result;
}

function notEmptyMessage(
  name: string,
  itemCount: number,
  childCount: number,
): string {
  const parts = [
    itemCount > 0 ? plural(itemCount, "item", "items") : null,
    childCount > 0 ? plural(childCount, "sub-location", "sub-locations") : null,
  ].filter(Boolean);
  return `“${name}” is not empty. Move or delete its ${parts.join(" and ")} first.`;
}

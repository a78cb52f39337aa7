import { Prisma as PrismaRuntime } from "~/generated/prisma/client";
import { recordAuditEvent } from "~/utils/audit.server";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import type { RequestInfo } from "~/utils/request-context.server";

import type { LocationNode, LocationOption } from "./location-tree.server";
import {
  findAncestors,
  findSubtreeLevels,
  listAncestors,
  listLocationOptions,
  loadLocationIndex,
} from "./location-tree.server";
import { CHOOSE_LOCATION_MESSAGE, LOCATION_MAX_DEPTH } from "./schemas";
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
 * Locks a household's location tree until the transaction ends. Create,
 * rename, move and CSV import all take this lock first, so the checks on
 * cycles, depth and sibling names read a tree that no concurrent request
 * changes before the write commits. FOR NO KEY UPDATE conflicts with itself
 * but not with the key-share lock that inserting an item takes on the
 * household, so item writes do not wait for location changes.
 */
async function lockLocationTree(
  tx: Prisma.TransactionClient,
  householdId: string,
): Promise<void> {
  await tx.$queryRaw`
    SELECT id FROM "Household" WHERE id = ${householdId} FOR NO KEY UPDATE`;
}

/**
 * Returns the location under `parentId`, or at the top level when it is
 * null, whose name equals `name` ignoring case, leaving out `exceptId`.
 * Case is folded with toLowerCase, as CSV import does when it matches path
 * segments, so two siblings that import would merge are never created.
 * NOTE: no unique index backs this rule, because households may already
 * hold such siblings. It relies on every writer taking lockLocationTree.
 */
async function findSiblingNamed(
  tx: Prisma.TransactionClient,
  householdId: string,
  parentId: string | null,
  name: string,
  exceptId: string | null = null,
): Promise<{ id: string; name: string } | null> {
  const siblings = await tx.location.findMany({
    where: {
      householdId,
      parentId,
      ...(exceptId ? { id: { not: exceptId } } : {}),
    },
    select: { id: true, name: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const key = name.toLowerCase();
  return siblings.find((sibling) => sibling.name.toLowerCase() === key) ?? null;
}

function siblingNameMessage(
  parent: { name: string } | null,
  existingName: string,
  fix: string,
): string {
  const where = parent
    ? `“${parent.name}” already contains a location named “${existingName}”`
    : `There is already a top-level location named “${existingName}”`;
  return `${where}, and locations in the same place need names that differ by more than case. ${fix}`;
}

const DEPTH_LIMIT_MESSAGE = `Locations can be nested at most ${LOCATION_MAX_DEPTH} levels deep, the longest location path that CSV import accepts. Choose a location nearer the top level.`;

/**
 * Creates a location, under `parentId` when given. The new location joins
 * the parent's household, or the default household at the top level. A
 * parent the user cannot edit is a field error, never a 404 or 500. So are
 * a sibling with the same name ignoring case and a parent at level
 * LOCATION_MAX_DEPTH, checked under the household's tree lock.
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
    return await prisma.$transaction(
      async (tx): Promise<LocationChangeResult> => {
        await lockLocationTree(tx, householdId);
        const errors: FieldErrors = {};
        let parent: { id: string; name: string } | null = null;
        if (input.parentId) {
          const ancestors = await findAncestors(
            tx,
            householdId,
            input.parentId,
          );
          parent = ancestors.at(-1) ?? null;
          if (!parent) {
            return {
              ok: false,
              errors: { parentId: [CHOOSE_LOCATION_MESSAGE] },
            };
          }
          if (ancestors.length + 1 > LOCATION_MAX_DEPTH) {
            errors.parentId = [
              `“${parent.name}” is at level ${ancestors.length}, so a location inside it would be at level ${ancestors.length + 1}. ${DEPTH_LIMIT_MESSAGE}`,
            ];
          }
        }
        const existing = await findSiblingNamed(
          tx,
          householdId,
          input.parentId,
          input.name,
        );
        if (existing) {
          errors.name = [
            siblingNameMessage(parent, existing.name, "Choose another name."),
          ];
        }
        if (Object.keys(errors).length > 0) return { ok: false, errors };

        const location = await tx.location.create({
          data: { householdId, parentId: input.parentId, name: input.name },
          select: { id: true },
        });
        return { ok: true, id: location.id };
      },
    );
  } catch (error) {
    // The parent was deleted after the check above. Deleting a location
    // does not take the tree lock, so the foreign key catches this.
    if (isForeignKeyViolation(error)) {
      return { ok: false, errors: { parentId: [CHOOSE_LOCATION_MESSAGE] } };
    }
    throw error;
  }
}

/**
 * Renames a location. A sibling with the same name ignoring case is a field
 * error on `name`. Throws 404 outside scope and 403 for viewers.
 */
export async function renameLocation(
  scope: HouseholdScope,
  locationId: string,
  name: string,
): Promise<LocationChangeResult> {
  const location = await findLocationInScope(scope, locationId);
  requireEditAccess(scope, location.householdId);

  return prisma.$transaction(async (tx): Promise<LocationChangeResult> => {
    await lockLocationTree(tx, location.householdId);
    // Read again under the lock, because a concurrent move may have
    // changed the parent and so the siblings.
    const current = await tx.location.findFirst({
      where: { id: location.id, householdId: location.householdId },
      select: { parentId: true, parent: { select: { name: true } } },
    });
    if (!current) notFound();
    const existing = await findSiblingNamed(
      tx,
      location.householdId,
      current.parentId,
      name,
      location.id,
    );
    if (existing) {
      return {
        ok: false,
        errors: {
          name: [
            siblingNameMessage(
              current.parent,
              existing.name,
              "Choose another name.",
            ),
          ],
        },
      };
    }
    const { count } = await tx.location.updateMany({
      where: { id: location.id, householdId: location.householdId },
      data: { name },
    });
    if (count === 0) notFound();
    return { ok: true, id: location.id };
  });
}

/**
 * Moves a location under `parentId`, or to the top level when it is null.
 *
 * The move is rejected with a field error on `parentId` when the parent is
 * inside the location, when the moved subtree would reach below level
 * LOCATION_MAX_DEPTH, or when the parent already contains a location of the
 * same name ignoring case. The checks and the update run in one transaction
 * that holds the household's tree lock, so two concurrent moves cannot each
 * pass the checks against the old tree and together form a cycle or a tree
 * that is too deep.
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
    await lockLocationTree(tx, location.householdId);
    const moved = await tx.location.findFirst({
      where: { id: location.id, householdId: location.householdId },
      select: { id: true, name: true },
    });
    if (!moved) notFound();

    let parent: { id: string; name: string } | null = null;
    if (parentId) {
      const ancestors = await findAncestors(tx, location.householdId, parentId);
      const target = ancestors.at(-1);
      if (!target) {
        return { ok: false, errors: { parentId: [CHOOSE_LOCATION_MESSAGE] } };
      }
      parent = target;
      const subtree = await findSubtreeLevels(
        tx,
        location.householdId,
        moved.id,
      );
      if (subtree.some((entry) => entry.id === target.id)) {
        return moveError(
          `“${target.name}” is inside “${moved.name}”, so “${moved.name}” cannot move into it. Choose a location outside “${moved.name}”.`,
        );
      }
      const height = subtree.reduce(
        (max, entry) => Math.max(max, entry.level),
        1,
      );
      const depth = ancestors.length + height;
      if (depth > LOCATION_MAX_DEPTH) {
        return moveError(
          `Moving “${moved.name}” into “${target.name}” would nest locations ${depth} levels deep, because “${target.name}” is at level ${ancestors.length} and “${moved.name}” with its sub-locations spans ${height} ${height === 1 ? "level" : "levels"}. ${DEPTH_LIMIT_MESSAGE}`,
        );
      }
    }

    const existing = await findSiblingNamed(
      tx,
      location.householdId,
      parentId,
      moved.name,
      moved.id,
    );
    if (existing) {
      return moveError(
        siblingNameMessage(
          parent,
          existing.name,
          `Rename “${moved.name}” first, or choose another location.`,
        ),
      );
    }

    const { count } = await tx.location.updateMany({
      where: { id: moved.id, householdId: location.householdId },
      data: { parentId },
    });
    if (count === 0) notFound();
    return { ok: true, id: moved.id };
  });
}

function moveError(message: string): LocationChangeResult {
  return { ok: false, errors: { parentId: [message] } };
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

import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";

import type { HouseholdScope } from "./scope.server";

/** Separator between the names of a location path, as in "House › Garage". */
export const PATH_SEPARATOR = " › ";

/** A location with its place in the tree and its item counts. */
export type LocationNode = {
  id: string;
  name: string;
  parentId: string | null;
  householdId: string;
  /** Names from the top-level location down to this one, joined. */
  path: string;
  depth: number;
  /** Items kept directly at this location. */
  itemCount: number;
  /** Items at this location and all of its sub-locations. */
  totalItemCount: number;
  children: LocationNode[];
};

/** All locations of some households, as a forest and by ID. */
export type LocationIndex = {
  roots: LocationNode[];
  byId: Map<string, LocationNode>;
};

/** A choice in a location select, labelled with the full path. */
export type LocationOption = {
  id: string;
  label: string;
  householdId: string;
  householdName: string;
};

type DatabaseClient = Prisma.TransactionClient | typeof prisma;

/**
 * Loads every location of the given households and arranges them as a
 * tree, which gives paths and subtree counts from a single query.
 * NOTE: this assumes households keep at most a few thousand locations, an
 * estimate that no measurement backs. Larger trees need paginated queries.
 */
export async function loadLocationIndex(
  householdIds: string[],
): Promise<LocationIndex> {
  const records = await prisma.location.findMany({
    where: { householdId: { in: householdIds } },
    select: {
      id: true,
      name: true,
      parentId: true,
      householdId: true,
      _count: { select: { items: true } },
    },
  });

  const byId = new Map<string, LocationNode>();
  for (const record of records) {
    byId.set(record.id, {
      id: record.id,
      name: record.name,
      parentId: record.parentId,
      householdId: record.householdId,
      path: record.name,
      depth: 0,
      itemCount: record._count.items,
      totalItemCount: record._count.items,
      children: [],
    });
  }

  const roots: LocationNode[] = [];
  for (const node of byId.values()) {
    const parent = node.parentId ? byId.get(node.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  sortByName(roots);
  for (const root of roots) fillPathsAndTotals(root, null);
  return { roots, byId };
}

function sortByName(nodes: LocationNode[]): void {
  nodes.sort(
    (a, b) =>
      a.name.localeCompare(b.name, "en", { sensitivity: "base" }) ||
      a.id.localeCompare(b.id),
  );
}

/** Sets path and depth from the parent and sums item counts bottom-up. */
function fillPathsAndTotals(
  node: LocationNode,
  parent: LocationNode | null,
): void {
  node.path = parent
    ? `${parent.path}${PATH_SEPARATOR}${node.name}`
    : node.name;
  node.depth = parent ? parent.depth + 1 : 0;
  sortByName(node.children);
  for (const child of node.children) {
    fillPathsAndTotals(child, node);
    node.totalItemCount += child.totalItemCount;
  }
}

/** Returns the locations from the top level down to `id`, inclusive. */
export function listAncestors(
  index: LocationIndex,
  id: string,
): { id: string; name: string }[] {
  const chain: { id: string; name: string }[] = [];
  const visited = new Set<string>();
  let node = index.byId.get(id);
  while (node && !visited.has(node.id)) {
    visited.add(node.id);
    chain.unshift({ id: node.id, name: node.name });
    node = node.parentId ? index.byId.get(node.parentId) : undefined;
  }
  return chain;
}

/**
 * Lists locations as select options in tree order. `householdIds` limits the
 * households offered, and `excludeSubtreeOf` leaves out a location and
 * everything below it, which a move form must not offer.
 */
export function listLocationOptions(
  index: LocationIndex,
  scope: HouseholdScope,
  options: { householdIds: string[]; excludeSubtreeOf?: string },
): LocationOption[] {
  const allowed = new Set(options.householdIds);
  const householdNames = new Map(
    scope.households.map((household) => [household.id, household.name]),
  );
  const result: LocationOption[] = [];
  const visit = (node: LocationNode) => {
    if (node.id === options.excludeSubtreeOf) return;
    result.push({
      id: node.id,
      label: node.path,
      householdId: node.householdId,
      householdName: householdNames.get(node.householdId) ?? "",
    });
    node.children.forEach(visit);
  };
  index.roots.filter((root) => allowed.has(root.householdId)).forEach(visit);
  return result;
}

/**
 * Returns the IDs of a location and all of its sub-locations, found with a
 * recursive query, or an empty list when the location is not in one of
 * `householdIds`. UNION, not UNION ALL, stops at a cycle should one exist.
 */
export async function findSubtreeIds(
  db: DatabaseClient,
  householdIds: string[],
  locationId: string,
): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH RECURSIVE subtree(id) AS (
      SELECT id FROM "Location"
      WHERE id = ${locationId} AND "householdId" = ANY(${householdIds}::text[])
      UNION
      SELECT child.id FROM "Location" child
      JOIN subtree ON child."parentId" = subtree.id
      WHERE child."householdId" = ANY(${householdIds}::text[])
    )
    SELECT id FROM subtree`;
  return rows.map((row) => row.id);
}

/**
 * Returns a location and its ancestors from the top level down, read with a
 * recursive query, or an empty list when the location is not in the
 * household. The visited array stops the walk at a cycle should one exist.
 */
export async function findAncestors(
  db: DatabaseClient,
  householdId: string,
  locationId: string,
): Promise<{ id: string; name: string }[]> {
  return db.$queryRaw<{ id: string; name: string }[]>`
    WITH RECURSIVE chain(id, name, "parentId", level, visited) AS (
      SELECT id, name, "parentId", 1, ARRAY[id] FROM "Location"
      WHERE id = ${locationId} AND "householdId" = ${householdId}
      UNION ALL
      SELECT parent.id, parent.name, parent."parentId", chain.level + 1,
        chain.visited || parent.id
      FROM "Location" parent
      JOIN chain ON parent.id = chain."parentId"
      WHERE parent."householdId" = ${householdId}
        AND NOT parent.id = ANY(chain.visited)
    )
    SELECT id, name FROM chain ORDER BY level DESC`;
}

/**
 * Returns a location and all of its sub-locations with their level below
 * it, the location itself being level 1, or an empty list when the location
 * is not in the household. The visited array stops the walk at a cycle.
 */
export async function findSubtreeLevels(
  db: DatabaseClient,
  householdId: string,
  locationId: string,
): Promise<{ id: string; level: number }[]> {
  return db.$queryRaw<{ id: string; level: number }[]>`
    WITH RECURSIVE subtree(id, level, visited) AS (
      SELECT id, 1, ARRAY[id] FROM "Location"
      WHERE id = ${locationId} AND "householdId" = ${householdId}
      UNION ALL
      SELECT child.id, subtree.level + 1, subtree.visited || child.id
      FROM "Location" child
      JOIN subtree ON child."parentId" = subtree.id
      WHERE child."householdId" = ${householdId}
        AND NOT child.id = ANY(subtree.visited)
    )
    SELECT id, level FROM subtree`;
}

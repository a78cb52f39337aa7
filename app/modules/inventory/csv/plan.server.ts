// Works out what an import would change in one household: which rows create
// items and which update them, which locations and tags are missing, and
// the problems that need the household's data to find.
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";

import { toTagKey } from "../schemas";
import { coreColumnName, LOCATION_PATH_SEPARATOR } from "./columns";
import type { ImportProblem, ParsedImportFile, ParsedRow } from "./parse";
import { createRowPause } from "./yielding";

type DatabaseClient = Prisma.TransactionClient | typeof prisma;

/** A location the import creates. */
export type PlannedLocation = {
  id: string;
  name: string;
  parentId: string | null;
  /** Full path joined with " / ", for the preview. */
  path: string;
};

/** A row that will be written. */
export type PlannedRow = {
  parsed: ParsedRow;
  itemId: string;
  isNew: boolean;
  locationId: string | null;
  /** Resolved parent, or undefined when the file has no parent column. */
  parentItemId?: string | null;
};

/** The writes an import would make, and the problems of the rows it skips. */
export type ImportPlan = {
  householdId: string;
  file: ParsedImportFile;
  /** Rows without problems, in file order. */
  rows: PlannedRow[];
  /** Locations to create, every parent before its children. */
  newLocations: PlannedLocation[];
  /** Tags to create, as first spelled in the file. */
  newTagNames: string[];
  /** Every problem, sorted by row and column. */
  problems: ImportProblem[];
  /** Data rows in the file, blank rows not counted. */
  rowCount: number;
  /** Rows with at least one problem. */
  errorRowCount: number;
  createCount: number;
  updateCount: number;
};

type ExistingItem = {
  id: string;
  importRef: string | null;
  parentId: string | null;
};

/** Finds existing items by import reference, or by ID when they have none. */
class ItemRefIndex {
  private readonly byRef = new Map<string, ExistingItem>();
  private readonly byIdWithoutRef = new Map<string, ExistingItem>();
  readonly byId = new Map<string, ExistingItem>();

  constructor(items: ExistingItem[]) {
    for (const item of items) {
      this.byId.set(item.id, item);
      if (item.importRef !== null) this.byRef.set(item.importRef, item);
      else this.byIdWithoutRef.set(item.id, item);
    }
  }

  /**
   * Returns the item a reference names. Export writes the item ID as the
   * reference of an item that has none, so re-importing an export updates
   * those items too.
   */
  find(ref: string): ExistingItem | undefined {
    return this.byRef.get(ref) ?? this.byIdWithoutRef.get(ref);
  }
}

/** Finds locations by parent and name, ignoring case, and plans new ones. */
class LocationResolver {
  private readonly children = new Map<string, string>();
  readonly created: PlannedLocation[] = [];

  constructor(
    locations: { id: string; name: string; parentId: string | null }[],
    private readonly createId: () => string,
  ) {
    // Sibling names may repeat, and then the oldest location wins.
    for (const location of locations) {
      const key = this.key(location.parentId, location.name);
      if (!this.children.has(key)) this.children.set(key, location.id);
    }
  }

  private key(parentId: string | null, name: string): string {
    return `${parentId ?? ""}\u0000${name.toLowerCase()}`;
  }

  /** Returns the ID of the location at `path`, planning missing levels. */
  resolve(path: string[]): string | null {
    let parentId: string | null = null;
    path.forEach((name, depth) => {
      const key = this.key(parentId, name);
      let id = this.children.get(key);
      if (id === undefined) {
        id = this.createId();
        this.children.set(key, id);
        this.created.push({
          id,
          name,
          parentId,
          path: path.slice(0, depth + 1).join(` ${LOCATION_PATH_SEPARATOR} `),
        });
      }
      parentId = id;
    });
    return parentId;
  }
}

/**
 * Plans the import of a parsed file into a household. Reads the household's
 * locations, tags and items through `db`, which is the transaction client
 * when the plan is about to be written. `createId` gives IDs for new items
 * and locations in increasing order, so an export lists imported items in
 * file order. Each pass over the rows lets the event loop run other work
 * after every PAUSE_AFTER_MS of planning, so other requests are served
 * while 50,000 rows are planned.
 */
export async function planImport(
  db: DatabaseClient,
  householdId: string,
  file: ParsedImportFile,
  createId: () => string,
): Promise<ImportPlan> {
  const [locations, tags, items] = await Promise.all([
    db.location.findMany({
      where: { householdId },
      select: { id: true, name: true, parentId: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    }),
    db.tag.findMany({ where: { householdId }, select: { nameKey: true } }),
    db.item.findMany({
      where: { householdId },
      select: { id: true, importRef: true, parentId: true },
    }),
  ]);
  const pause = createRowPause();
  const existing = new ItemRefIndex(items);
  const problems = [...file.problems];
  const errorRows = new Set(problems.map((problem) => problem.row));
  const report = (
    row: number,
    column: string,
    value: string,
    message: string,
  ) => {
    problems.push({ row, column, value, message });
    errorRows.add(row);
  };

  // Match rows to the items they update, or give them new IDs.
  const refColumn = coreColumnName("importRef");
  const targets = new Map<string, number>();
  const rowItems = new Map<number, { itemId: string; isNew: boolean }>();
  const rowsByRef = new Map<string, ParsedRow>();
  for (const row of file.rows) {
    await pause();
    const match =
      row.importRef === null ? undefined : existing.find(row.importRef);
    if (row.importRef !== null && !rowsByRef.has(row.importRef)) {
      rowsByRef.set(row.importRef, row);
    }
    if (!match) {
      rowItems.set(row.row, { itemId: createId(), isNew: true });
      continue;
    }
    const earlier = targets.get(match.id);
    if (earlier !== undefined) {
      report(
        row.row,
        refColumn,
        row.importRef!,
        `Row ${earlier} already updates the item this reference names. Give each row its own item.`,
      );
    }
    targets.set(match.id, row.row);
    rowItems.set(row.row, { itemId: match.id, isNew: false });
  }

  // Resolve parent references to item IDs, within the file first.
  const parentColumn = coreColumnName("parentRef");
  const hasParentColumn = file.presentCore.has("parentRef");
  const parentOf = new Map<string, string | null>();
  const parentRowOf = new Map<number, number>();
  for (const item of items) parentOf.set(item.id, item.parentId);
  for (const row of file.rows) {
    await pause();
    const { itemId, isNew } = rowItems.get(row.row)!;
    if (!hasParentColumn || row.parentRef === undefined) {
      if (isNew) parentOf.set(itemId, null);
      continue;
    }
    if (row.parentRef === null) {
      parentOf.set(itemId, null);
      continue;
    }
    const parentRow = rowsByRef.get(row.parentRef);
    const parentItem = parentRow
      ? rowItems.get(parentRow.row)!.itemId
      : existing.find(row.parentRef)?.id;
    if (parentItem === undefined) {
      report(
        row.row,
        parentColumn,
        row.parentRef,
        "No row of this file and no item of the household has this import reference. Add the parent's row or correct the reference.",
      );
      continue;
    }
    if (parentRow) parentRowOf.set(row.row, parentRow.row);
    parentOf.set(itemId, parentItem);
  }

  // A parent chain that returns to its start would make an item part of
  // itself.
  const acyclic = new Set<string>();
  const fileRowByItem = new Map<string, number>();
  for (const [row, entry] of rowItems) fileRowByItem.set(entry.itemId, row);
  for (const row of file.rows) {
    await pause();
    const start = rowItems.get(row.row)!.itemId;
    const chain: string[] = [];
    const onChain = new Set<string>();
    let current: string | null | undefined = start;
    while (current && !acyclic.has(current) && !onChain.has(current)) {
      chain.push(current);
      onChain.add(current);
      current = parentOf.get(current);
    }
    if (current && onChain.has(current) && current === start) {
      const loop = chain.map((id) => {
        const fileRow = fileRowByItem.get(id);
        return fileRow === undefined ? "an existing item" : `row ${fileRow}`;
      });
      report(
        row.row,
        parentColumn,
        row.parentRef ?? "",
        `The parent references form a loop (${[...loop, loop[0]].join(" → ")}), so no item in it could be the top one. Clear one of the references.`,
      );
    } else if (!current || acyclic.has(current)) {
      for (const id of chain) acyclic.add(id);
    }
  }

  // Skipping a row with problems also skips the rows that are its parts.
  let changed = true;
  while (changed) {
    changed = false;
    for (const row of file.rows) {
      await pause();
      const parentRow = parentRowOf.get(row.row);
      if (
        parentRow !== undefined &&
        errorRows.has(parentRow) &&
        !errorRows.has(row.row)
      ) {
        report(
          row.row,
          parentColumn,
          row.parentRef ?? "",
          `The parent row ${parentRow} has problems, so this row cannot be imported without it.`,
        );
        changed = true;
      }
    }
  }

  const resolver = new LocationResolver(locations, createId);
  const knownTags = new Set(tags.map((tag) => tag.nameKey));
  const newTagNames: string[] = [];
  const planned: PlannedRow[] = [];
  for (const row of file.rows) {
    await pause();
    if (errorRows.has(row.row)) continue;
    const { itemId, isNew } = rowItems.get(row.row)!;
    for (const name of row.tags ?? []) {
      const key = toTagKey(name);
      if (!knownTags.has(key)) {
        knownTags.add(key);
        newTagNames.push(name);
      }
    }
    planned.push({
      parsed: row,
      itemId,
      isNew,
      locationId: resolver.resolve(row.locationPath),
      parentItemId:
        hasParentColumn && row.parentRef !== undefined
          ? (parentOf.get(itemId) ?? null)
          : undefined,
    });
  }

  const columnOrder = new Map(file.columns.map((name, index) => [name, index]));
  problems.sort(
    (a, b) =>
      a.row - b.row ||
      (columnOrder.get(a.column) ?? -1) - (columnOrder.get(b.column) ?? -1),
  );
  const createCount = planned.filter((row) => row.isNew).length;
  return {
    householdId,
    file,
    rows: planned,
    newLocations: resolver.created,
    newTagNames,
    problems,
    rowCount: file.rows.length,
    errorRowCount: errorRows.size,
    createCount,
    updateCount: planned.length - createCount,
  };
}

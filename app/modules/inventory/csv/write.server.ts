// Writes an import plan with a few set-based statements per batch: rows go
// to PostgreSQL as parallel text arrays expanded by unnest(), so 50,000
// items take seconds instead of one round trip each. Column names in the
// SQL come only from the fixed tables below, never from the file.
import { Prisma as PrismaRuntime } from "~/generated/prisma/client";
import type { Prisma } from "~/utils/db.server";

import { fixHouseholdCurrency } from "../currency.server";
import type { ItemDetailKey } from "../item-details";
import { EMPTY_ITEM_DETAILS, hasPrice } from "../item-details";
import { toTagKey } from "../schemas";
import type { ImportPlan, PlannedRow } from "./plan.server";

/** Rows per INSERT or UPDATE statement. */
const BATCH_SIZE = 5_000;

/** Counts of what an import wrote. */
export type ImportResult = {
  itemsCreated: number;
  itemsUpdated: number;
  locationsCreated: number;
  tagsCreated: number;
  rowsSkipped: number;
};

/** SQL type each value column is cast to from text. */
const COLUMN_TYPES: Record<ItemDetailKey | "description" | "quantity", string> =
  {
    description: "text",
    quantity: "integer",
    manufacturer: "text",
    modelNumber: "text",
    serialNumber: "text",
    assetId: "integer",
    url: "text",
    notes: "text",
    purchaseFrom: "text",
    purchasePrice: "bigint",
    purchaseDate: "date",
    warrantyExpires: "date",
    lifetimeWarranty: "boolean",
    warrantyDetails: "text",
    insured: "boolean",
    soldTo: "text",
    soldPrice: "bigint",
    soldDate: "date",
    soldNotes: "text",
    archived: "boolean",
  };

type ValueColumn = keyof typeof COLUMN_TYPES;

const VALUE_COLUMNS = Object.keys(COLUMN_TYPES) as ValueColumn[];

// Item timestamps are TIMESTAMP(3) in UTC, as Prisma writes them.
const NOW_UTC = PrismaRuntime.sql`(now() AT TIME ZONE 'UTC')`;

function chunks<T>(list: T[], size = BATCH_SIZE): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < list.length; start += size) {
    result.push(list.slice(start, start + size));
  }
  return result;
}

function quoteIdentifier(name: string): Prisma.Sql {
  return PrismaRuntime.raw(`"${name}"`);
}

/** Returns the text that PostgreSQL casts to the column's type. */
function columnText(row: PlannedRow, column: ValueColumn): string | null {
  const { parsed } = row;
  let value: unknown;
  if (column === "description") value = parsed.description ?? "";
  else if (column === "quantity") value = parsed.quantity ?? 1;
  else if (column in parsed.details) value = parsed.details[column];
  else value = EMPTY_ITEM_DETAILS[column];
  return value === null || value === undefined ? null : String(value);
}

/**
 * Expands parallel text arrays into rows: `unnest($1::text[], …) AS v(…)`.
 * Every array has one entry per row.
 */
function unnestRows(columns: Record<string, (string | null)[]>): Prisma.Sql {
  const names = Object.keys(columns);
  const arrays = names.map(
    (name) => PrismaRuntime.sql`${columns[name]}::text[]`,
  );
  return PrismaRuntime.sql`unnest(${PrismaRuntime.join(arrays)}) AS v(${PrismaRuntime.join(
    names.map(quoteIdentifier),
  )})`;
}

async function insertLocations(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
): Promise<void> {
  // Foreign keys are checked at the end of each statement, and every parent
  // is planned before its children, so a batch may refer to earlier ones.
  for (const batch of chunks(plan.newLocations)) {
    await tx.$executeRaw`
      INSERT INTO "Location" ("id", "householdId", "parentId", "name", "createdAt", "updatedAt")
      SELECT v."id", ${plan.householdId}, v."parentId", v."name", ${NOW_UTC}, ${NOW_UTC}
      FROM ${unnestRows({
        id: batch.map((location) => location.id),
        parentId: batch.map((location) => location.parentId),
        name: batch.map((location) => location.name),
      })}`;
  }
}

/** Creates missing tags and returns the ID of every tag the rows use. */
async function ensureTags(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
  createId: () => string,
): Promise<Map<string, string>> {
  for (const batch of chunks(plan.newTagNames)) {
    // ON CONFLICT keeps a tag that another request created meanwhile.
    await tx.$executeRaw`
      INSERT INTO "Tag" ("id", "householdId", "name", "nameKey", "createdAt")
      SELECT v."id", ${plan.householdId}, v."name", v."nameKey", ${NOW_UTC}
      FROM ${unnestRows({
        id: batch.map(() => createId()),
        name: batch,
        nameKey: batch.map(toTagKey),
      })}
      ON CONFLICT ("householdId", "nameKey") DO NOTHING`;
  }
  const keys = [
    ...new Set(
      plan.rows.flatMap((row) => (row.parsed.tags ?? []).map(toTagKey)),
    ),
  ];
  const ids = new Map<string, string>();
  for (const batch of chunks(keys)) {
    const tags = await tx.tag.findMany({
      where: { householdId: plan.householdId, nameKey: { in: batch } },
      select: { id: true, nameKey: true },
    });
    for (const tag of tags) ids.set(tag.nameKey, tag.id);
  }
  return ids;
}

async function insertItems(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
  rows: PlannedRow[],
): Promise<void> {
  const columns = [
    "id",
    "locationId",
    "name",
    "importRef",
    ...VALUE_COLUMNS,
  ].map(quoteIdentifier);
  const values = VALUE_COLUMNS.map(
    (column) =>
      PrismaRuntime.sql`v.${quoteIdentifier(column)}::${PrismaRuntime.raw(COLUMN_TYPES[column])}`,
  );
  for (const batch of chunks(rows)) {
    const arrays: Record<string, (string | null)[]> = {
      id: batch.map((row) => row.itemId),
      locationId: batch.map((row) => row.locationId),
      name: batch.map((row) => row.parsed.name),
      importRef: batch.map((row) => row.parsed.importRef),
    };
    for (const column of VALUE_COLUMNS) {
      arrays[column] = batch.map((row) => columnText(row, column));
    }
    await tx.$executeRaw`
      INSERT INTO "Item" ("householdId", ${PrismaRuntime.join(columns)}, "createdAt", "updatedAt")
      SELECT ${plan.householdId}, v."id", v."locationId", v."name", v."importRef",
        ${PrismaRuntime.join(values)}, ${NOW_UTC}, ${NOW_UTC}
      FROM ${unnestRows(arrays)}`;
  }
}

/**
 * Updates existing items. Only the columns the file has are set, so a file
 * without HB.notes keeps every item's notes.
 */
async function updateItems(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
  rows: PlannedRow[],
): Promise<void> {
  const present = new Set<string>([
    ...plan.file.presentDetails,
    ...[...plan.file.presentCore].filter(
      (key) => key === "description" || key === "quantity",
    ),
  ]);
  const updated = VALUE_COLUMNS.filter((column) => present.has(column));
  const assignments = [
    PrismaRuntime.sql`"locationId" = v."locationId"`,
    PrismaRuntime.sql`"name" = v."name"`,
    ...updated.map(
      (column) =>
        PrismaRuntime.sql`${quoteIdentifier(column)} = v.${quoteIdentifier(column)}::${PrismaRuntime.raw(COLUMN_TYPES[column])}`,
    ),
    PrismaRuntime.sql`"updatedAt" = ${NOW_UTC}`,
  ];
  for (const batch of chunks(rows)) {
    const arrays: Record<string, (string | null)[]> = {
      id: batch.map((row) => row.itemId),
      locationId: batch.map((row) => row.locationId),
      name: batch.map((row) => row.parsed.name),
    };
    for (const column of updated) {
      arrays[column] = batch.map((row) => columnText(row, column));
    }
    await tx.$executeRaw`
      UPDATE "Item" AS item SET ${PrismaRuntime.join(assignments)}
      FROM ${unnestRows(arrays)}
      WHERE item."id" = v."id" AND item."householdId" = ${plan.householdId}`;
  }
}

/** Sets parent links once every item of the file exists. */
async function linkParents(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
): Promise<void> {
  const rows = plan.rows.filter(
    (row) =>
      row.parentItemId !== undefined &&
      !(row.isNew && row.parentItemId === null),
  );
  for (const batch of chunks(rows)) {
    await tx.$executeRaw`
      UPDATE "Item" AS item SET "parentId" = v."parentId"
      FROM ${unnestRows({
        id: batch.map((row) => row.itemId),
        parentId: batch.map((row) => row.parentItemId ?? null),
      })}
      WHERE item."id" = v."id" AND item."householdId" = ${plan.householdId}`;
  }
}

/** Replaces the tag links of rows that have an HB.tags cell. */
async function linkTags(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
  tagIds: Map<string, string>,
): Promise<void> {
  if (!plan.file.presentCore.has("tags")) return;
  const updatedIds = plan.rows
    .filter((row) => !row.isNew)
    .map((row) => row.itemId);
  for (const batch of chunks(updatedIds)) {
    await tx.$executeRaw`
      DELETE FROM "ItemTag" WHERE "itemId" = ANY(${batch}::text[])`;
  }
  const links = plan.rows.flatMap((row) =>
    (row.parsed.tags ?? []).map((name) => ({
      itemId: row.itemId,
      tagId: tagIds.get(toTagKey(name))!,
    })),
  );
  for (const batch of chunks(links)) {
    await tx.$executeRaw`
      INSERT INTO "ItemTag" ("itemId", "tagId")
      SELECT v."itemId", v."tagId"
      FROM ${unnestRows({
        itemId: batch.map((link) => link.itemId),
        tagId: batch.map((link) => link.tagId),
      })}
      ON CONFLICT DO NOTHING`;
  }
}

/**
 * Writes the custom fields the file has columns for. An empty cell removes
 * that field from an updated item, and fields without a column are kept.
 */
async function writeCustomFields(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
  createId: () => string,
): Promise<void> {
  const names = plan.file.customFieldNames;
  if (names.length === 0) return;
  const updatedIds = plan.rows
    .filter((row) => !row.isNew)
    .map((row) => row.itemId);
  for (const batch of chunks(updatedIds)) {
    // Custom field names are unique per item ignoring case, so a column
    // "Colour" replaces a stored "colour".
    await tx.$executeRaw`
      DELETE FROM "ItemField"
      WHERE "itemId" = ANY(${batch}::text[])
        AND lower("name") = ANY(${names.map((name) => name.toLowerCase())}::text[])`;
  }
  const fields = plan.rows.flatMap((row) =>
    [...row.parsed.customFields].flatMap(([name, value]) =>
      value === null ? [] : [{ itemId: row.itemId, name, value }],
    ),
  );
  for (const batch of chunks(fields)) {
    await tx.$executeRaw`
      INSERT INTO "ItemField" ("id", "itemId", "name", "value")
      SELECT v."id", v."itemId", v."name", v."value"
      FROM ${unnestRows({
        id: batch.map(() => createId()),
        itemId: batch.map((field) => field.itemId),
        name: batch.map((field) => field.name),
        value: batch.map((field) => field.value),
      })}`;
  }
}

/**
 * Writes every planned row of an import: new locations and tags, new and
 * updated items, parent links, tag links and custom fields. Run it in the
 * transaction that planned the import, so the plan matches the data.
 * `currency` is the one prices were parsed in. It becomes the household's
 * currency when the household has none yet.
 */
export async function applyImportPlan(
  tx: Prisma.TransactionClient,
  plan: ImportPlan,
  currency: string,
  createId: () => string,
): Promise<ImportResult> {
  if (plan.rows.some((row) => hasPrice(row.parsed.details))) {
    await fixHouseholdCurrency(tx, plan.householdId, currency);
  }
  await insertLocations(tx, plan);
  const tagIds = await ensureTags(tx, plan, createId);
  const created = plan.rows.filter((row) => row.isNew);
  const updated = plan.rows.filter((row) => !row.isNew);
  await insertItems(tx, plan, created);
  await updateItems(tx, plan, updated);
  await linkParents(tx, plan);
  await linkTags(tx, plan, tagIds);
  await writeCustomFields(tx, plan, createId);
  return {
    itemsCreated: created.length,
    itemsUpdated: updated.length,
    locationsCreated: plan.newLocations.length,
    tagsCreated: plan.newTagNames.length,
    rowsSkipped: plan.errorRowCount,
  };
}

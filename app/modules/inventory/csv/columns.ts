// The CSV columns that item import and export use. The names follow the
// Homebox import format: an "HB." prefix, case-sensitive, in any order.
import type { ItemDetailField } from "../item-details";
import { ITEM_DETAIL_FIELDS } from "../item-details";

/** Maximum size of an uploaded CSV file, in bytes (10 MiB). */
export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;

/** Maximum number of item rows in one file, the header not counted. */
export const IMPORT_MAX_ROWS = 50_000;

/** Problems listed on the preview page. The download lists all of them. */
export const PROBLEMS_SHOWN_MAX = 1_000;

/** Prefix of every recognised column. */
export const COLUMN_PREFIX = "HB.";

/** Prefix of custom field columns, followed by the field name. */
export const CUSTOM_FIELD_PREFIX = "HB.field.";

/** Separator of location names in HB.location. */
export const LOCATION_PATH_SEPARATOR = "/";

/** Separator of tag names in HB.tags. */
export const TAG_SEPARATOR = ";";

/** Maximum length of HB.import_ref and HB.parent_import_ref values. */
export const IMPORT_REF_MAX_LENGTH = 100;

/** Maximum number of location levels in one HB.location path. */
export const LOCATION_PATH_MAX_DEPTH = 20;

/** Values of an item row that are not item details. */
export type CoreColumn =
  | "importRef"
  | "location"
  | "name"
  | "description"
  | "quantity"
  | "tags"
  | "parentRef";

/** The value a header name sets. */
export type ColumnTarget =
  | { type: "core"; key: CoreColumn }
  | { type: "detail"; field: ItemDetailField }
  | { type: "custom"; name: string };

/** Core columns with their canonical names, in export order. */
const CORE_COLUMNS: { name: string; key: CoreColumn }[] = [
  { name: "HB.import_ref", key: "importRef" },
  { name: "HB.location", key: "location" },
  { name: "HB.name", key: "name" },
  { name: "HB.description", key: "description" },
  { name: "HB.quantity", key: "quantity" },
  { name: "HB.tags", key: "tags" },
];

const PARENT_COLUMN = {
  name: "HB.parent_import_ref",
  key: "parentRef",
} as const;

/** Other names accepted on import for the same value. */
const ALIASES: Record<string, string> = {
  "HB.labels": "HB.tags",
  "HB.purchase_time": "HB.purchase_date",
  "HB.sold_time": "HB.sold_date",
};

/** Columns a file must have. */
export const REQUIRED_COLUMNS = ["HB.location", "HB.name"] as const;

/** The fixed columns of an export, before the custom field columns. */
export const EXPORT_COLUMNS: readonly string[] = [
  ...CORE_COLUMNS.map((column) => column.name),
  ...ITEM_DETAIL_FIELDS.map((field) => field.column),
  PARENT_COLUMN.name,
];

/** Returns the canonical name of a core column, such as "HB.tags". */
export function coreColumnName(key: CoreColumn): string {
  if (key === "parentRef") return PARENT_COLUMN.name;
  return CORE_COLUMNS.find((column) => column.key === key)!.name;
}

/**
 * Returns what a header name sets, or null when the column is not part of
 * the format. Names are case-sensitive and may be surrounded by spaces.
 */
export function resolveColumn(header: string): ColumnTarget | null {
  const name = ALIASES[header] ?? header;
  if (name.startsWith(CUSTOM_FIELD_PREFIX)) {
    return {
      type: "custom",
      name: name.slice(CUSTOM_FIELD_PREFIX.length).trim(),
    };
  }
  const core = [...CORE_COLUMNS, PARENT_COLUMN].find(
    (column) => column.name === name,
  );
  if (core) return { type: "core", key: core.key };
  const field = ITEM_DETAIL_FIELDS.find((entry) => entry.column === name);
  return field ? { type: "detail", field } : null;
}

/** Returns every column name the import recognises, aliases included. */
export function knownColumnNames(): string[] {
  return [...EXPORT_COLUMNS, ...Object.keys(ALIASES)];
}

// Spreadsheets run a cell that starts with =, +, -, @, tab or carriage
// return as a formula, so export prefixes such text with an apostrophe and
// import removes it again. Text that already starts with apostrophes before
// such a character gets one more, so every value survives the round trip.
const FORMULA_START = /^'*[=+\-@\t\r]/;
const GUARDED_FORMULA_START = /^'+[=+\-@\t\r]/;

/** Prefixes text that a spreadsheet would run as a formula with "'". */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Removes the apostrophe that guardFormula added. */
export function unguardFormula(text: string): string {
  return GUARDED_FORMULA_START.test(text) ? text.slice(1) : text;
}

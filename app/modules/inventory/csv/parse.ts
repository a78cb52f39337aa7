// Reads an item CSV file into typed rows and a list of problems. Nothing
// here touches the database, so every check that needs only the file runs
// here and the planner adds the checks that need the household's data.
import { CsvError, parse as createCsvParser } from "csv-parse";
import { parse } from "csv-parse/sync";

import type {
  ItemDetailField,
  ItemDetailKey,
  ItemDetailValues,
} from "../item-details";
import {
  checkCustomFieldName,
  checkCustomFieldValue,
  CUSTOM_FIELDS_PER_ITEM_MAX,
  parseDetailValue,
} from "../item-details";
import {
  DESCRIPTION_MAX_LENGTH,
  ITEM_NAME_MAX_LENGTH,
  LOCATION_NAME_MAX_LENGTH,
  QUANTITY_MAX,
  TAG_NAME_MAX_LENGTH,
  TAGS_PER_ITEM_MAX,
  toTagKey,
} from "../schemas";
import type { CoreColumn } from "./columns";
import {
  COLUMN_PREFIX,
  coreColumnName,
  IMPORT_MAX_ROWS,
  IMPORT_REF_MAX_LENGTH,
  knownColumnNames,
  LOCATION_PATH_MAX_DEPTH,
  LOCATION_PATH_SEPARATOR,
  REQUIRED_COLUMNS,
  resolveColumn,
  TAG_SEPARATOR,
  unguardFormula,
} from "./columns";
import {
  createPauser,
  ROWS_PER_PAUSE_POINT,
  runPausing,
  runToEnd,
} from "./yielding";

/** One invalid cell, or a row-level problem when `column` is "". */
export type ImportProblem = {
  /** Row number as a spreadsheet shows it: the header is row 1. */
  row: number;
  column: string;
  value: string;
  message: string;
};

/** A column of the header that the import does not use, and why. */
export type IgnoredColumn = { name: string; reason: string };

/**
 * The values of one item row. Optional members are undefined when the file
 * has no column for them, so an update keeps the item's current value.
 */
export type ParsedRow = {
  row: number;
  importRef: string | null;
  /** Location names from the top level down, or none for no location. */
  locationPath: string[];
  name: string;
  description?: string;
  quantity?: number;
  /** Tag names, deduplicated ignoring case. */
  tags?: string[];
  details: Partial<ItemDetailValues>;
  /** Custom field name → value, or null when the cell is empty. */
  customFields: Map<string, string | null>;
  parentRef?: string | null;
};

/** A file that could be read, with its rows and every problem found. */
export type ParsedImportFile = {
  ok: true;
  delimiter: "," | "\t";
  /** Recognised header names, in file order. */
  columns: string[];
  ignoredColumns: IgnoredColumn[];
  presentCore: Set<CoreColumn>;
  presentDetails: ItemDetailKey[];
  /** Custom field names of the HB.field.* columns, in file order. */
  customFieldNames: string[];
  /** Every non-blank data row, including rows with problems. */
  rows: ParsedRow[];
  problems: ImportProblem[];
};

/** A file that cannot be imported at all, with the reasons. */
export type UnreadableImportFile = { ok: false; fileErrors: string[] };

/** Options of parseImportCsv. */
export type ParseOptions = {
  /** ISO 4217 code that prices are read in. */
  currency: string;
  /** Anchors the plausible range of dates. */
  today?: Date;
  maxRows?: number;
};

const QUANTITY_MESSAGE = `Enter a whole number from 0 to ${QUANTITY_MAX.toLocaleString("en-US")}.`;

/**
 * Picks the delimiter from the header line: tab when the header contains
 * more tabs than commas, otherwise comma.
 */
function detectDelimiter(text: string): "," | "\t" {
  const newline = text.search(/\r?\n/);
  const header = newline === -1 ? text : text.slice(0, newline);
  const tabs = header.split("\t").length - 1;
  const commas = header.split(",").length - 1;
  return tabs > commas ? "\t" : ",";
}

type ColumnBinding =
  | { index: number; name: string; type: "core"; key: CoreColumn }
  | { index: number; name: string; type: "detail"; field: ItemDetailField }
  | { index: number; name: string; type: "custom"; fieldName: string };

type HeaderResult =
  | {
      ok: true;
      bindings: ColumnBinding[];
      ignoredColumns: IgnoredColumn[];
    }
  | { ok: false; fileErrors: string[] };

/** Maps header names to what they set and reports unusable headers. */
function readHeader(header: string[]): HeaderResult {
  const fileErrors: string[] = [];
  const ignoredColumns: IgnoredColumn[] = [];
  const bindings: ColumnBinding[] = [];
  // What each column sets, to find two columns that set the same value.
  const owners = new Map<string, string>();
  const known = knownColumnNames();

  header.forEach((rawName, index) => {
    const name = rawName.trim();
    const target = resolveColumn(name);
    if (!target) {
      const sameIgnoringCase = known.find(
        (candidate) => candidate.toLowerCase() === name.toLowerCase(),
      );
      let reason = "Not an HB. column.";
      if (sameIgnoringCase) {
        reason = `Column names are case-sensitive. Did you mean ${sameIgnoringCase}?`;
      } else if (name === "") {
        reason = `Column ${index + 1} has no name.`;
      } else if (name.startsWith(COLUMN_PREFIX)) {
        reason = "Not a column of the import format.";
      }
      ignoredColumns.push({ name: name || `(column ${index + 1})`, reason });
      return;
    }

    let ownerKey: string;
    if (target.type === "custom") {
      const problem = checkCustomFieldName(target.name);
      if (problem) {
        fileErrors.push(`Column “${name}”: ${problem}`);
        return;
      }
      ownerKey = `custom:${target.name.toLowerCase()}`;
      bindings.push({ index, name, type: "custom", fieldName: target.name });
    } else if (target.type === "core") {
      ownerKey = `core:${target.key}`;
      bindings.push({ index, name, type: "core", key: target.key });
    } else {
      ownerKey = `detail:${target.field.key}`;
      bindings.push({ index, name, type: "detail", field: target.field });
    }
    const earlier = owners.get(ownerKey);
    if (earlier !== undefined) {
      fileErrors.push(
        `Columns “${earlier}” and “${name}” set the same value. Remove one of them.`,
      );
    }
    owners.set(ownerKey, name);
  });

  const present = new Set(bindings.map((binding) => binding.name));
  for (const required of REQUIRED_COLUMNS) {
    if (!present.has(required)) {
      fileErrors.push(
        `The header has no ${required} column, which every file needs. The first row must contain the column names, such as ${REQUIRED_COLUMNS.join(",")}.`,
      );
    }
  }
  const customCount = bindings.filter((b) => b.type === "custom").length;
  if (customCount > CUSTOM_FIELDS_PER_ITEM_MAX) {
    fileErrors.push(
      `The file has ${customCount} HB.field. columns. Use at most ${CUSTOM_FIELDS_PER_ITEM_MAX}.`,
    );
  }
  return fileErrors.length > 0
    ? { ok: false, fileErrors }
    : { ok: true, bindings, ignoredColumns };
}

/** Splits a location path on "/", trimming names and dropping empty ones. */
export function splitLocationPath(text: string): string[] {
  return text
    .split(LOCATION_PATH_SEPARATOR)
    .map((segment) => segment.trim())
    .filter((segment) => segment !== "");
}

/**
 * Splits a tag list on ";", trimming names, dropping empty ones and later
 * duplicates that differ only in case.
 */
export function splitTagCell(text: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const part of text.split(TAG_SEPARATOR)) {
    const name = part.trim();
    const key = toTagKey(name);
    if (name !== "" && !seen.has(key)) {
      seen.add(key);
      names.push(name);
    }
  }
  return names;
}

/** Parses a quantity cell. An empty cell is 1, as on the item form. */
export function parseQuantity(
  text: string,
): { ok: true; value: number } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: 1 };
  if (/^[-−]\s*\d/.test(trimmed)) {
    return {
      ok: false,
      message: `A quantity cannot be negative. ${QUANTITY_MESSAGE}`,
    };
  }
  if (!/^\+?\d+$/.test(trimmed)) {
    return {
      ok: false,
      message: `“${trimmed}” is not a whole number. ${QUANTITY_MESSAGE}`,
    };
  }
  const value = Number(trimmed);
  if (value > QUANTITY_MAX) {
    return {
      ok: false,
      message: `${trimmed} is too large. ${QUANTITY_MESSAGE}`,
    };
  }
  return { ok: true, value };
}

type RowContext = {
  row: number;
  problems: ImportProblem[];
};

function report(
  context: RowContext,
  column: string,
  value: string,
  message: string,
): void {
  context.problems.push({ row: context.row, column, value, message });
}

function checkLength(
  context: RowContext,
  column: string,
  value: string,
  max: number,
  subject: string,
): boolean {
  if (value.length <= max) return true;
  report(
    context,
    column,
    value,
    `Shorten the ${subject} to at most ${max.toLocaleString("en-US")} characters. It has ${value.length.toLocaleString("en-US")}.`,
  );
  return false;
}

/** Reads the core columns of a row into `row`, reporting invalid cells. */
function readCoreCell(
  context: RowContext,
  row: ParsedRow,
  key: CoreColumn,
  column: string,
  cell: string,
): void {
  const value = cell.trim();
  switch (key) {
    case "importRef":
      if (
        checkLength(
          context,
          column,
          value,
          IMPORT_REF_MAX_LENGTH,
          "import reference",
        )
      ) {
        row.importRef = value === "" ? null : value;
      }
      return;
    case "parentRef":
      if (
        checkLength(
          context,
          column,
          value,
          IMPORT_REF_MAX_LENGTH,
          "parent import reference",
        )
      ) {
        row.parentRef = value === "" ? null : value;
      }
      return;
    case "location": {
      const path = splitLocationPath(value);
      // An empty cell is an item without a location, which the item form
      // allows. A cell of only separators names no location at all.
      if (value !== "" && path.length === 0) {
        report(
          context,
          column,
          cell,
          `${column} contains no location name. Enter the item's location path, such as “Home / Garage”, or leave the cell empty for an item without a location.`,
        );
        return;
      }
      if (path.length > LOCATION_PATH_MAX_DEPTH) {
        report(
          context,
          column,
          value,
          `The path has ${path.length} levels. Use at most ${LOCATION_PATH_MAX_DEPTH}.`,
        );
        return;
      }
      const long = path.find((name) => name.length > LOCATION_NAME_MAX_LENGTH);
      if (long) {
        report(
          context,
          column,
          value,
          `Shorten the location name “${long.slice(0, 20)}…” to at most ${LOCATION_NAME_MAX_LENGTH} characters.`,
        );
        return;
      }
      row.locationPath = path;
      return;
    }
    case "name":
      if (value === "") {
        report(context, column, cell, "Enter a name for the item.");
        return;
      }
      if (
        checkLength(context, column, value, ITEM_NAME_MAX_LENGTH, "item name")
      ) {
        row.name = value;
      }
      return;
    case "description":
      if (
        checkLength(
          context,
          column,
          value,
          DESCRIPTION_MAX_LENGTH,
          "description",
        )
      ) {
        row.description = value;
      }
      return;
    case "quantity": {
      const result = parseQuantity(value);
      if (result.ok) row.quantity = result.value;
      else report(context, column, cell, result.message);
      return;
    }
    case "tags": {
      const names = splitTagCell(value);
      const long = names.find((name) => name.length > TAG_NAME_MAX_LENGTH);
      // The item form reads its tag field as a comma-separated list, so a
      // tag whose name contains "," could never be edited there.
      const withComma = names.find((name) => name.includes(","));
      if (withComma !== undefined) {
        report(
          context,
          column,
          cell,
          `The tag “${withComma}” contains a comma, and tag names cannot contain commas. Separate tags in ${column} with “;”, such as “Red; Blue”, or rename the tag.`,
        );
      } else if (long) {
        report(
          context,
          column,
          cell,
          `Shorten the tag “${long.slice(0, 20)}…” to at most ${TAG_NAME_MAX_LENGTH} characters.`,
        );
      } else if (names.length > TAGS_PER_ITEM_MAX) {
        report(
          context,
          column,
          cell,
          `Use at most ${TAGS_PER_ITEM_MAX} tags. This cell has ${names.length}.`,
        );
      } else {
        row.tags = names;
      }
      return;
    }
  }
}

const CSV_OPTIONS = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: false,
} as const;

/** Bytes handed to csv-parse between two pause points. */
export const DECODE_CHUNK_BYTES = 64 * 1024;

type DecodedRecords =
  { ok: true; records: string[][] } | { ok: false; message: string };

/** Returns the file error for a csv-parse error, or rethrows other errors. */
function invalidCsv(error: unknown): { ok: false; message: string } {
  if (error instanceof CsvError) {
    const line = (error as CsvError & { lines?: number }).lines;
    return {
      ok: false,
      message: `The file is not valid CSV${line ? ` near line ${line}` : ""}: ${error.message}. Quote fields that contain the delimiter, quotes or line breaks, and double every quote inside a quoted field ("").`,
    };
  }
  throw error;
}

/** Decodes CSV records, or returns the reason the text is not valid CSV. */
function readRecords(text: string, delimiter: "," | "\t"): DecodedRecords {
  try {
    const records = parse(text, { delimiter, ...CSV_OPTIONS }) as string[][];
    return { ok: true, records };
  } catch (error) {
    return invalidCsv(error);
  }
}

/**
 * Decodes CSV records as readRecords does, handing csv-parse the UTF-8
 * bytes in chunks of DECODE_CHUNK_BYTES with a pause point after each.
 * csv-parse joins fields and characters that span two chunks.
 */
async function readRecordsPausing(
  text: string,
  delimiter: "," | "\t",
): Promise<DecodedRecords> {
  const parser = createCsvParser({ delimiter, ...CSV_OPTIONS });
  const records: string[][] = [];
  let failure: unknown;
  parser.on("readable", () => {
    let record: string[] | null;
    while ((record = parser.read() as string[] | null) !== null) {
      records.push(record);
    }
  });
  const finished = new Promise<void>((resolve) => {
    parser.on("end", resolve);
    parser.on("error", (error) => {
      failure = error;
      resolve();
    });
  });

  const bytes = Buffer.from(text, "utf8");
  const pause = createPauser();
  for (
    let start = 0;
    start < bytes.length && failure === undefined;
    start += DECODE_CHUNK_BYTES
  ) {
    // Waiting for the write callback keeps one chunk in the stream at a
    // time. Without it, chunks queue up and the next read parses them all
    // in one go.
    await new Promise<void>((resolve) => {
      parser.write(bytes.subarray(start, start + DECODE_CHUNK_BYTES), () =>
        resolve(),
      );
    });
    await pause();
  }
  if (failure === undefined) parser.end();
  await finished;
  return failure === undefined ? { ok: true, records } : invalidCsv(failure);
}

/**
 * Returns the file error of text that cannot be CSV at all (empty, or with
 * NUL characters), or null.
 */
function checkText(text: string): UnreadableImportFile | null {
  if (text.replace(/^\uFEFF/, "").trim() === "") {
    return {
      ok: false,
      fileErrors: [
        "The file is empty. Upload a CSV file with a header row and item rows.",
      ],
    };
  }
  const nul = text.indexOf("\u0000");
  if (nul !== -1) {
    const line = text.slice(0, nul).split("\n").length;
    return {
      ok: false,
      fileErrors: [
        `Line ${line} contains a NUL character, which CSV text never does. Check that the file is a CSV file saved as UTF-8, not a spreadsheet or UTF-16 file.`,
      ],
    };
  }
  return null;
}

/**
 * Checks the header and every record of a decoded file. Yields after every
 * ROWS_PER_PAUSE_POINT data rows, where a caller may pause.
 */
function* checkRecords(
  decoded: string[][],
  delimiter: "," | "\t",
  options: ParseOptions,
): Generator<void, ParsedImportFile | UnreadableImportFile> {
  const today = options.today ?? new Date();
  const maxRows = options.maxRows ?? IMPORT_MAX_ROWS;
  const [header = [], ...records] = decoded;

  const headerResult = readHeader(header);
  if (!headerResult.ok) return headerResult;
  const { bindings, ignoredColumns } = headerResult;

  const dataRowCount = records.filter((record) =>
    record.some((cell) => cell.trim() !== ""),
  ).length;
  if (dataRowCount === 0) {
    return {
      ok: false,
      fileErrors: [
        "The file has a header but no item rows. Add one row per item below the header.",
      ],
    };
  }
  if (dataRowCount > maxRows) {
    return {
      ok: false,
      fileErrors: [
        `The file has ${dataRowCount.toLocaleString("en-US")} item rows. Split it into files of at most ${maxRows.toLocaleString("en-US")} rows and import them one after another.`,
      ],
    };
  }

  const problems: ImportProblem[] = [];
  const rows: ParsedRow[] = [];
  const refRows = new Map<string, number>();
  const parentBinding = bindings.find(
    (binding) => binding.type === "core" && binding.key === "parentRef",
  );

  for (const [recordIndex, record] of records.entries()) {
    if (!record.some((cell) => cell.trim() !== "")) continue;
    if (rows.length > 0 && rows.length % ROWS_PER_PAUSE_POINT === 0) yield;
    const context: RowContext = { row: recordIndex + 2, problems };
    const row: ParsedRow = {
      row: context.row,
      importRef: null,
      locationPath: [],
      name: "",
      details: {},
      customFields: new Map(),
    };

    const extra = record.slice(header.length).filter((cell) => cell.trim());
    if (extra.length > 0) {
      report(
        context,
        "",
        extra.join(delimiter === "\t" ? "\t" : ","),
        `The row has ${record.length} fields but the header has ${header.length}. Quote fields that contain the delimiter, or add names for the extra columns.`,
      );
    }

    for (const binding of bindings) {
      const cell = unguardFormula(record[binding.index] ?? "");
      if (binding.type === "core") {
        readCoreCell(context, row, binding.key, binding.name, cell);
      } else if (binding.type === "detail") {
        const result = parseDetailValue(
          binding.field,
          cell,
          options.currency,
          today,
        );
        if (result.ok) {
          (row.details as Record<string, unknown>)[binding.field.key] =
            result.value;
        } else {
          report(context, binding.name, cell, result.message);
        }
      } else {
        const value = cell.trim();
        const problem = checkCustomFieldValue(value);
        if (problem) report(context, binding.name, cell, problem);
        else
          row.customFields.set(binding.fieldName, value === "" ? null : value);
      }
    }

    if (row.importRef !== null) {
      const earlier = refRows.get(row.importRef);
      if (earlier !== undefined) {
        report(
          context,
          coreColumnName("importRef"),
          row.importRef,
          `Row ${earlier} already uses this import reference. Give each row its own.`,
        );
      } else {
        refRows.set(row.importRef, row.row);
      }
    }
    if (
      parentBinding &&
      row.parentRef != null &&
      row.parentRef === row.importRef
    ) {
      report(
        context,
        parentBinding.name,
        row.parentRef,
        "An item cannot be its own parent. Enter the import reference of another row or item.",
      );
    }
    rows.push(row);
  }

  const columnOrder = new Map(
    bindings.map((binding) => [binding.name, binding.index]),
  );
  problems.sort(
    (a, b) =>
      a.row - b.row ||
      (columnOrder.get(a.column) ?? -1) - (columnOrder.get(b.column) ?? -1),
  );

  return {
    ok: true,
    delimiter,
    columns: bindings.map((binding) => binding.name),
    ignoredColumns,
    presentCore: new Set(
      bindings.flatMap((binding) =>
        binding.type === "core" ? [binding.key] : [],
      ),
    ),
    presentDetails: bindings.flatMap((binding) =>
      binding.type === "detail" ? [binding.field.key] : [],
    ),
    customFieldNames: bindings.flatMap((binding) =>
      binding.type === "custom" ? [binding.fieldName] : [],
    ),
    rows,
    problems,
  };
}

/**
 * Parses the text of an item CSV file. The header row names the columns;
 * comma or tab is detected from it. Blank rows are skipped but counted, so
 * row numbers match a spreadsheet. Returns every cell problem with its row,
 * column and value, or file errors when the file cannot be read at all.
 */
export function parseImportCsv(
  text: string,
  options: ParseOptions,
): ParsedImportFile | UnreadableImportFile {
  const unreadable = checkText(text);
  if (unreadable) return unreadable;
  const delimiter = detectDelimiter(text.replace(/^\uFEFF/, ""));
  const decoded = readRecords(text, delimiter);
  if (!decoded.ok) return { ok: false, fileErrors: [decoded.message] };
  return runToEnd(checkRecords(decoded.records, delimiter, options));
}

/**
 * Parses a file as parseImportCsv does, with the same result, but lets the
 * event loop run other work after every PAUSE_AFTER_MS of parsing, so a
 * 10 MB file does not hold up other requests for its whole parse.
 */
export async function parseImportCsvPausing(
  text: string,
  options: ParseOptions,
): Promise<ParsedImportFile | UnreadableImportFile> {
  const unreadable = checkText(text);
  if (unreadable) return unreadable;
  const delimiter = detectDelimiter(text.replace(/^\uFEFF/, ""));
  const decoded = await readRecordsPausing(text, delimiter);
  if (!decoded.ok) return { ok: false, fileErrors: [decoded.message] };
  return runPausing(checkRecords(decoded.records, delimiter, options));
}

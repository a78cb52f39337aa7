// The details an item can carry beyond name, description, quantity,
// location and tags. One table drives the item form, the item page, CSV
// import and CSV export, so all four agree on names, formats and limits.
import { formatMinorUnits, formatMoney, parseMoney } from "./money";
import type { DateKind, ValueResult } from "./values";
import {
  formatAssetId,
  formatDate,
  parseAssetId,
  parseBoolean,
  parseDate,
  parseHttpUrl,
  toDateValue,
} from "./values";

/** Maximum length of one-line details such as the serial number. */
export const SHORT_TEXT_MAX_LENGTH = 255;
/** Maximum length of multi-line details such as notes. */
export const LONG_TEXT_MAX_LENGTH = 5000;

export const CUSTOM_FIELD_NAME_MAX_LENGTH = 100;
export const CUSTOM_FIELD_VALUE_MAX_LENGTH = 1000;
export const CUSTOM_FIELDS_PER_ITEM_MAX = 50;

/** Stored values of the item details, keyed like the Item columns. */
export type ItemDetailValues = {
  manufacturer: string;
  modelNumber: string;
  serialNumber: string;
  assetId: number | null;
  url: string;
  notes: string;
  purchaseFrom: string;
  /** Minor units of the household currency. */
  purchasePrice: bigint | null;
  /** YYYY-MM-DD. */
  purchaseDate: string | null;
  warrantyExpires: string | null;
  lifetimeWarranty: boolean;
  warrantyDetails: string;
  insured: boolean;
  soldTo: string;
  soldPrice: bigint | null;
  soldDate: string | null;
  soldNotes: string;
  archived: boolean;
};

export type ItemDetailKey = keyof ItemDetailValues;

/** The input, validation and storage type of a detail. */
export type ItemDetailKind =
  | { type: "text"; multiline: boolean }
  | { type: "date"; dateKind: DateKind }
  | { type: "money" }
  | { type: "boolean" }
  | { type: "assetId" }
  | { type: "url" };

/** One item detail: its column, form label and CSV column name. */
export type ItemDetailField = {
  key: ItemDetailKey;
  label: string;
  /** Column name in CSV import and export files. */
  column: string;
  kind: ItemDetailKind;
};

const shortText = { type: "text", multiline: false } as const;
const longText = { type: "text", multiline: true } as const;

/** Every item detail, in form and export order. */
export const ITEM_DETAIL_FIELDS: readonly ItemDetailField[] = [
  {
    key: "assetId",
    label: "Asset ID",
    column: "HB.asset_id",
    kind: { type: "assetId" },
  },
  { key: "notes", label: "Notes", column: "HB.notes", kind: longText },
  { key: "url", label: "URL", column: "HB.url", kind: { type: "url" } },
  {
    key: "manufacturer",
    label: "Manufacturer",
    column: "HB.manufacturer",
    kind: shortText,
  },
  {
    key: "modelNumber",
    label: "Model number",
    column: "HB.model_number",
    kind: shortText,
  },
  {
    key: "serialNumber",
    label: "Serial number",
    column: "HB.serial_number",
    kind: shortText,
  },
  {
    key: "purchaseFrom",
    label: "Purchased from",
    column: "HB.purchase_from",
    kind: shortText,
  },
  {
    key: "purchasePrice",
    label: "Purchase price",
    column: "HB.purchase_price",
    kind: { type: "money" },
  },
  {
    key: "purchaseDate",
    label: "Purchase date",
    column: "HB.purchase_date",
    kind: { type: "date", dateKind: "past" },
  },
  {
    key: "warrantyExpires",
    label: "Warranty expires",
    column: "HB.warranty_expires",
    kind: { type: "date", dateKind: "warranty" },
  },
  {
    key: "warrantyDetails",
    label: "Warranty details",
    column: "HB.warranty_details",
    kind: longText,
  },
  {
    key: "lifetimeWarranty",
    label: "Lifetime warranty",
    column: "HB.lifetime_warranty",
    kind: { type: "boolean" },
  },
  {
    key: "insured",
    label: "Insured",
    column: "HB.insured",
    kind: { type: "boolean" },
  },
  {
    key: "archived",
    label: "Archived",
    column: "HB.archived",
    kind: { type: "boolean" },
  },
  { key: "soldTo", label: "Sold to", column: "HB.sold_to", kind: shortText },
  {
    key: "soldPrice",
    label: "Sold price",
    column: "HB.sold_price",
    kind: { type: "money" },
  },
  {
    key: "soldDate",
    label: "Sold date",
    column: "HB.sold_date",
    kind: { type: "date", dateKind: "past" },
  },
  {
    key: "soldNotes",
    label: "Sold notes",
    column: "HB.sold_notes",
    kind: longText,
  },
];

/** The details of an item that has none recorded. */
export const EMPTY_ITEM_DETAILS: Readonly<ItemDetailValues> = {
  manufacturer: "",
  modelNumber: "",
  serialNumber: "",
  assetId: null,
  url: "",
  notes: "",
  purchaseFrom: "",
  purchasePrice: null,
  purchaseDate: null,
  warrantyExpires: null,
  lifetimeWarranty: false,
  warrantyDetails: "",
  insured: false,
  soldTo: "",
  soldPrice: null,
  soldDate: null,
  soldNotes: "",
  archived: false,
};

/**
 * Parses the text of one detail into its stored value. `currency` is the
 * household's ISO 4217 code for money, and `today` anchors the date limits.
 */
export function parseDetailValue(
  field: ItemDetailField,
  text: string,
  currency: string,
  today: Date,
): ValueResult<ItemDetailValues[ItemDetailKey]> {
  const { kind } = field;
  switch (kind.type) {
    case "text": {
      const value = text.trim();
      const max = kind.multiline ? LONG_TEXT_MAX_LENGTH : SHORT_TEXT_MAX_LENGTH;
      if (value.length > max) {
        return {
          ok: false,
          message: `Shorten the text to at most ${max.toLocaleString("en-US")} characters. It has ${value.length.toLocaleString("en-US")}.`,
        };
      }
      return { ok: true, value };
    }
    case "date":
      return parseDate(text, kind.dateKind, today);
    case "money": {
      const result = parseMoney(text, currency);
      return result.ok
        ? { ok: true, value: result.minorUnits }
        : { ok: false, message: result.message };
    }
    case "boolean":
      return parseBoolean(text);
    case "assetId":
      return parseAssetId(text);
    case "url":
      return parseHttpUrl(text);
  }
}

/** A custom field as entered: a name and its text value. */
export type CustomFieldEntry = { name: string; value: string };

/**
 * Checks a custom field name and returns a message when it is unusable:
 * empty, too long, or containing a line break.
 */
export function checkCustomFieldName(name: string): string | null {
  if (name === "") return "Enter a name for the custom field.";
  if (name.length > CUSTOM_FIELD_NAME_MAX_LENGTH) {
    return `Shorten the custom field name “${name.slice(0, 20)}…” to at most ${CUSTOM_FIELD_NAME_MAX_LENGTH} characters.`;
  }
  if (/[\r\n]/.test(name)) {
    return `Write the custom field name “${name.slice(0, 20)}” on one line.`;
  }
  return null;
}

/** Checks a custom field value and returns a message when it is too long. */
export function checkCustomFieldValue(value: string): string | null {
  if (value.length > CUSTOM_FIELD_VALUE_MAX_LENGTH) {
    return `Shorten the value to at most ${CUSTOM_FIELD_VALUE_MAX_LENGTH} characters. It has ${value.length}.`;
  }
  return null;
}

/**
 * Validates the custom field rows of the item form. Rows with neither name
 * nor value are blank and dropped. Names are trimmed and must be unique
 * ignoring case. Returns the fields to store, or messages that name the row.
 */
export function validateCustomFieldRows(
  rows: CustomFieldEntry[],
):
  { ok: true; fields: CustomFieldEntry[] } | { ok: false; messages: string[] } {
  const messages: string[] = [];
  const fields: CustomFieldEntry[] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const name = row.name.trim();
    const value = row.value.trim();
    const position = index + 1;
    if (name === "" && value === "") return;
    if (name === "") {
      messages.push(
        `Custom field ${position}: enter a name for the value “${value.slice(0, 40)}”, or clear the value.`,
      );
      return;
    }
    if (value === "") {
      messages.push(
        `Custom field ${position}: enter a value for “${name.slice(0, 40)}”, or clear its name to remove it.`,
      );
      return;
    }
    const problem = checkCustomFieldName(name) ?? checkCustomFieldValue(value);
    if (problem) {
      messages.push(`Custom field ${position}: ${problem}`);
      return;
    }
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) {
      messages.push(
        `Custom field ${position}: “${name}” is already custom field ${earlier}. Use each name once.`,
      );
      return;
    }
    seen.set(name.toLowerCase(), position);
    fields.push({ name, value });
  });
  if (fields.length > CUSTOM_FIELDS_PER_ITEM_MAX) {
    messages.push(
      `Use at most ${CUSTOM_FIELDS_PER_ITEM_MAX} custom fields. This item has ${fields.length}.`,
    );
  }
  return messages.length > 0 ? { ok: false, messages } : { ok: true, fields };
}

/** Detail columns as Prisma returns them, with dates as Date objects. */
export type ItemDetailRow = Omit<
  ItemDetailValues,
  "purchaseDate" | "warrantyExpires" | "soldDate"
> & {
  purchaseDate: Date | null;
  warrantyExpires: Date | null;
  soldDate: Date | null;
};

/** Prisma select of every detail column. */
export const ITEM_DETAIL_SELECT = {
  manufacturer: true,
  modelNumber: true,
  serialNumber: true,
  assetId: true,
  url: true,
  notes: true,
  purchaseFrom: true,
  purchasePrice: true,
  purchaseDate: true,
  warrantyExpires: true,
  lifetimeWarranty: true,
  warrantyDetails: true,
  insured: true,
  soldTo: true,
  soldPrice: true,
  soldDate: true,
  soldNotes: true,
  archived: true,
} as const satisfies Record<ItemDetailKey, true>;

/** Converts the detail columns of a database row to ItemDetailValues. */
export function readItemDetails(row: ItemDetailRow): ItemDetailValues {
  const day = (date: Date | null) => (date ? formatDate(date) : null);
  return {
    ...row,
    purchaseDate: day(row.purchaseDate),
    warrantyExpires: day(row.warrantyExpires),
    soldDate: day(row.soldDate),
  };
}

/** Converts ItemDetailValues to the data Prisma writes. */
export function toItemDetailData(values: ItemDetailValues): ItemDetailRow {
  return {
    ...values,
    purchaseDate: toDateValue(values.purchaseDate),
    warrantyExpires: toDateValue(values.warrantyExpires),
    soldDate: toDateValue(values.soldDate),
  };
}

/**
 * Formats one detail as the text that CSV files and the item form use:
 * prices as plain decimals such as "19.99", dates as YYYY-MM-DD, asset IDs
 * as 000-042 and yes/no values as "true" or "false". Unset values are "".
 */
export function formatDetailText(
  field: ItemDetailField,
  values: ItemDetailValues,
  currency: string,
): string {
  const value = values[field.key];
  if (value === null) return "";
  switch (field.kind.type) {
    case "money":
      return formatMinorUnits(value as bigint, currency);
    case "assetId":
      return formatAssetId(value as number);
    case "boolean":
      return value ? "true" : "false";
    default:
      return String(value);
  }
}

/**
 * Formats one detail for reading on the item page, such as "$19.99" or
 * "Yes", or returns null when it is not recorded. False yes/no values count
 * as not recorded.
 */
export function formatDetailForDisplay(
  field: ItemDetailField,
  values: ItemDetailValues,
  currency: string,
): string | null {
  const value = values[field.key];
  if (value === null || value === "" || value === false) return null;
  switch (field.kind.type) {
    case "money":
      return formatMoney(value as bigint, currency);
    case "boolean":
      return "Yes";
    default:
      return formatDetailText(field, values, currency);
  }
}

/** Returns whether any price is set, which fixes the household currency. */
export function hasPrice(values: Partial<ItemDetailValues>): boolean {
  return (
    (values.purchasePrice ?? null) !== null ||
    (values.soldPrice ?? null) !== null
  );
}

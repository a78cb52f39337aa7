import { z } from "zod";

import {
  LOCATION_PATH_MAX_DEPTH,
  LOCATION_PATH_SEPARATOR,
  TAG_SEPARATOR,
} from "./csv/columns";
import type { CustomFieldEntry, ItemDetailValues } from "./item-details";
import {
  EMPTY_ITEM_DETAILS,
  ITEM_DETAIL_FIELDS,
  parseDetailValue,
  validateCustomFieldRows,
} from "./item-details";
import { hasVisibleCharacter, parseCheckboxValue } from "./values";

export const LOCATION_NAME_MAX_LENGTH = 100;
export const ITEM_NAME_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 5000;
export const QUANTITY_MAX = 1_000_000;
export const TAG_NAME_MAX_LENGTH = 50;
export const TAGS_PER_ITEM_MAX = 20;
/**
 * Maximum number of nested location levels, a top-level location being
 * level 1. It equals the longest HB.location path that CSV import accepts,
 * so every location that the forms create can be exported and imported.
 */
export const LOCATION_MAX_DEPTH = LOCATION_PATH_MAX_DEPTH;
export const SEARCH_QUERY_MAX_LENGTH = 200;
export const ITEMS_PER_PAGE = 25;
const PAGE_MAX = 999_999;

/** Shown when a location ID is not one the user may choose. */
export const CHOOSE_LOCATION_MESSAGE = "Choose a location from the list.";

/** Shown when the item list is filtered by a location the user cannot see. */
export const UNKNOWN_LOCATION_FILTER_MESSAGE =
  "The location filter does not match any of your locations. Pick a location from the list or clear the filter.";

/** IDs are cuids of 25 characters, so a much longer value cannot be one. */
const ID_MAX_LENGTH = 64;

const numberFormat = new Intl.NumberFormat("en-US");

/**
 * Returns the named fields of a form as strings. Missing fields and file
 * uploads become undefined, so schemas see only text.
 */
export function readFormFields<Name extends string>(
  formData: FormData,
  names: readonly Name[],
): Record<Name, string | undefined> {
  const fields = {} as Record<Name, string | undefined>;
  for (const name of names) {
    const value = formData.get(name);
    fields[name] = typeof value === "string" ? value : undefined;
  }
  return fields;
}

/** An optional ID from a select: an empty string means "none". */
const optionalIdSchema = z
  .string()
  .trim()
  .max(ID_MAX_LENGTH, CHOOSE_LOCATION_MESSAGE)
  .optional()
  .transform((value) => (value ? value : null));

const LOCATION_NAME_REQUIRED = "Enter a name for the location.";

/** The hint under every location name input. */
export const LOCATION_NAME_HINT = `Any name without “${LOCATION_PATH_SEPARATOR}”, which separates locations in paths such as “House ${LOCATION_PATH_SEPARATOR} Garage”.`;

/**
 * A location name, trimmed. It needs a visible character, and it cannot
 * contain "/", because CSV export joins location paths with it and CSV
 * import splits them on it, so "Shelf 1/2" would come back as two levels.
 */
export const locationNameSchema = z
  .string({ required_error: LOCATION_NAME_REQUIRED })
  .trim()
  .refine(hasVisibleCharacter, LOCATION_NAME_REQUIRED)
  .refine(
    (name) => !name.includes(LOCATION_PATH_SEPARATOR),
    `Remove “${LOCATION_PATH_SEPARATOR}” from the name. Location paths use it to separate locations, as in “House ${LOCATION_PATH_SEPARATOR} Garage”, so use another character, such as “-” or “|”.`,
  )
  .refine(
    (name) => name.length <= LOCATION_NAME_MAX_LENGTH,
    `Use a location name of at most ${LOCATION_NAME_MAX_LENGTH} characters.`,
  );

/** The form that creates a location. */
export const newLocationSchema = z.object({
  name: locationNameSchema,
  parentId: optionalIdSchema,
});

/** The rename form on a location page. */
export const renameLocationSchema = z.object({ name: locationNameSchema });

/** The move form on a location page. An empty parent means top level. */
export const moveLocationSchema = z.object({ parentId: optionalIdSchema });

/**
 * Splits a comma-separated tag list. Names are trimmed, empty entries are
 * dropped and later duplicates, compared case-insensitively, are removed,
 * so "Tools, tools" keeps only "Tools".
 */
export function splitTagList(input: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const part of input.split(",")) {
    const name = part.trim();
    const key = toTagKey(name);
    if (name && !seen.has(key)) {
      seen.add(key);
      names.push(name);
    }
  }
  return names;
}

/** Returns the case-insensitive key a tag name is unique by. */
export function toTagKey(name: string): string {
  return name.toLowerCase();
}

const tagListSchema = z
  .string()
  .optional()
  .transform((value) => splitTagList(value ?? ""))
  .superRefine((names, context) => {
    for (const name of names) {
      if (!hasVisibleCharacter(name)) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message:
            "A tag in the list has only invisible characters, such as zero-width spaces. Remove it or type a name.",
        });
      }
      if (name.includes(TAG_SEPARATOR)) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message: `Remove “${TAG_SEPARATOR}” from the tag “${name.slice(0, 40)}”. CSV files use it to separate tags, so use a comma to make two tags, or another character such as “-”.`,
        });
      }
      if (name.length > TAG_NAME_MAX_LENGTH) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message: `Shorten the tag “${name.slice(0, 20)}…” to at most ${TAG_NAME_MAX_LENGTH} characters. It has ${name.length}.`,
        });
      }
    }
    if (names.length > TAGS_PER_ITEM_MAX) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message: `Use at most ${TAGS_PER_ITEM_MAX} tags. This list has ${names.length}.`,
      });
    }
  });

const QUANTITY_MESSAGE = `Enter the quantity as a whole number from 0 to ${numberFormat.format(QUANTITY_MAX)}.`;

const quantitySchema = z
  .string()
  .trim()
  .optional()
  .transform((value, context) => {
    if (!value) return 1;
    if (!/^\d+$/.test(value) || Number(value) > QUANTITY_MAX) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message: QUANTITY_MESSAGE,
      });
      return z.NEVER;
    }
    return Number(value);
  });

const ITEM_NAME_REQUIRED = "Enter a name for the item.";

/** The form that creates or edits an item. */
export const itemFormSchema = z.object({
  name: z
    .string({ required_error: ITEM_NAME_REQUIRED })
    .trim()
    .refine(hasVisibleCharacter, ITEM_NAME_REQUIRED)
    .refine(
      (name) => name.length <= ITEM_NAME_MAX_LENGTH,
      `Use an item name of at most ${ITEM_NAME_MAX_LENGTH} characters.`,
    ),
  description: z
    .string()
    .trim()
    .optional()
    .transform((value) => value ?? "")
    .superRefine((value, context) => {
      if (value.length > DESCRIPTION_MAX_LENGTH) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message: `Shorten the description to at most ${numberFormat.format(DESCRIPTION_MAX_LENGTH)} characters. It has ${numberFormat.format(value.length)}.`,
        });
      }
    }),
  quantity: quantitySchema,
  locationId: optionalIdSchema,
  tags: tagListSchema,
});

/** Names of the item form's fields, for readFormFields. */
export const ITEM_FORM_FIELDS = [
  "name",
  "description",
  "quantity",
  "locationId",
  "tags",
] as const;

/** Parsed values of the item form. */
export type ItemInput = z.output<typeof itemFormSchema> & {
  details: ItemDetailValues;
  customFields: CustomFieldEntry[];
};

/** Names of the repeated inputs of the custom field rows. */
export const CUSTOM_FIELD_INPUTS = {
  name: "customFieldName",
  value: "customFieldValue",
} as const;

/**
 * Returns the custom field rows of a form, pairing the n-th name input with
 * the n-th value input as the browser submits them, in page order.
 */
export function readCustomFieldRows(formData: FormData): CustomFieldEntry[] {
  const text = (value: FormDataEntryValue) =>
    typeof value === "string" ? value : "";
  const names = formData.getAll(CUSTOM_FIELD_INPUTS.name).map(text);
  const values = formData.getAll(CUSTOM_FIELD_INPUTS.value).map(text);
  return Array.from(
    { length: Math.max(names.length, values.length) },
    (_, index) => ({ name: names[index] ?? "", value: values[index] ?? "" }),
  );
}

/** The outcome of reading the item form. */
export type ItemFormResult =
  | { ok: true; input: ItemInput }
  | { ok: false; errors: Record<string, string[]> };

/**
 * Parses the whole item form: name, description, quantity, location, tags,
 * every detail of ITEM_DETAIL_FIELDS and the custom field rows. Prices are
 * read in `currency`, the household's ISO 4217 code. Every invalid field
 * gets its own message that starts with the field's label, so one submit
 * reports all of them. Yes/no details are read by parseCheckboxValue.
 */
export function parseItemForm(
  formData: FormData,
  currency: string,
  today: Date = new Date(),
): ItemFormResult {
  const errors: Record<string, string[]> = {};
  const base = itemFormSchema.safeParse(
    readFormFields(formData, ITEM_FORM_FIELDS),
  );
  if (!base.success) {
    for (const issue of base.error.issues) {
      (errors[String(issue.path[0] ?? "form")] ??= []).push(issue.message);
    }
  }

  const details: Record<string, unknown> = { ...EMPTY_ITEM_DETAILS };
  for (const field of ITEM_DETAIL_FIELDS) {
    const raw = formData.get(field.key);
    const text = typeof raw === "string" ? raw : "";
    const result =
      field.kind.type === "boolean"
        ? parseCheckboxValue(text)
        : parseDetailValue(field, text, currency, today);
    if (result.ok) details[field.key] = result.value;
    else errors[field.key] = [`${field.label}: ${result.message}`];
  }

  const customFields = validateCustomFieldRows(readCustomFieldRows(formData));
  if (!customFields.ok) errors.customFields = customFields.messages;

  if (!base.success || !customFields.ok || Object.keys(errors).length > 0) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    input: {
      ...base.data,
      details: details as ItemDetailValues,
      customFields: customFields.fields,
    },
  };
}

const pageSchema = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined || value === "") return 1;
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > PAGE_MAX) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message: `The page number “${value.slice(0, 20)}” is invalid. Use a whole number from 1 to ${numberFormat.format(PAGE_MAX)}.`,
      });
      return z.NEVER;
    }
    return Number(value);
  });

/** The query string of the item list: search text, filters and page. */
export const itemListQuerySchema = z.object({
  q: z
    .string()
    .trim()
    .max(
      SEARCH_QUERY_MAX_LENGTH,
      `Shorten the search text to at most ${SEARCH_QUERY_MAX_LENGTH} characters.`,
    )
    .optional()
    .transform((value) => value ?? ""),
  tag: z
    .string()
    .trim()
    .max(
      TAG_NAME_MAX_LENGTH,
      `Shorten the tag filter to at most ${TAG_NAME_MAX_LENGTH} characters, the maximum length of a tag name.`,
    )
    .optional()
    .transform((value) => value ?? ""),
  locationId: z
    .string()
    .trim()
    .max(ID_MAX_LENGTH, UNKNOWN_LOCATION_FILTER_MESSAGE)
    .optional()
    .transform((value) => (value ? value : null)),
  page: pageSchema,
});

/** Parsed query of the item list. */
export type ItemListQuery = z.output<typeof itemListQuerySchema>;

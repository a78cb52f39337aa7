import { useId } from "react";

import { ErrorList, Field, TextareaField } from "~/components/forms";
import type { FieldErrors } from "~/utils/forms";

import type { CustomFieldEntry, ItemDetailField } from "./item-details";
import {
  CUSTOM_FIELD_NAME_MAX_LENGTH,
  CUSTOM_FIELD_VALUE_MAX_LENGTH,
  CUSTOM_FIELDS_PER_ITEM_MAX,
  ITEM_DETAIL_FIELDS,
  LONG_TEXT_MAX_LENGTH,
  SHORT_TEXT_MAX_LENGTH,
} from "./item-details";
import { CUSTOM_FIELD_INPUTS } from "./schemas";
import { latestDate, parseCheckboxValue } from "./values";

/** Blank custom field rows offered below the filled ones. */
export const BLANK_CUSTOM_FIELD_ROWS = 3;

/** The detail fields of each section of the item form, by key. */
const SECTIONS: { title: string; keys: string[] }[] = [
  {
    title: "Identification",
    keys: ["manufacturer", "modelNumber", "serialNumber", "assetId", "url"],
  },
  {
    title: "Purchase",
    keys: ["purchaseDate", "purchasePrice", "purchaseFrom"],
  },
  {
    title: "Warranty and insurance",
    keys: ["warrantyExpires", "lifetimeWarranty", "warrantyDetails", "insured"],
  },
  { title: "Sale", keys: ["soldDate", "soldPrice", "soldTo", "soldNotes"] },
  { title: "Notes", keys: ["notes", "archived"] },
];

function fieldByKey(key: string): ItemDetailField {
  const field = ITEM_DETAIL_FIELDS.find((entry) => entry.key === key);
  if (!field) throw new Error(`Unknown item detail "${key}"`);
  return field;
}

/** Returns whether a stored or submitted yes/no text means ticked. */
function isTicked(text: string | undefined): boolean {
  const result = parseCheckboxValue(text ?? "");
  return result.ok && result.value;
}

function Checkbox({
  field,
  checked,
  errors,
}: {
  field: ItemDetailField;
  checked: boolean;
  errors?: string[] | null;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="flex items-center gap-2">
        <input
          id={id}
          type="checkbox"
          name={field.key}
          value="true"
          defaultChecked={checked}
          aria-invalid={errors?.length ? true : undefined}
          aria-describedby={errors?.length ? `${id}-error` : undefined}
        />
        <span>{field.label}</span>
      </label>
      <ErrorList id={`${id}-error`} errors={errors} />
    </div>
  );
}

function DetailInput({
  field,
  value,
  errors,
  currency,
}: {
  field: ItemDetailField;
  value: string | undefined;
  errors?: string[] | null;
  currency: string;
}) {
  const { kind } = field;
  switch (kind.type) {
    case "boolean":
      return (
        <Checkbox field={field} checked={isTicked(value)} errors={errors} />
      );
    case "text":
      return kind.multiline ? (
        <TextareaField
          label={field.label}
          name={field.key}
          rows={3}
          maxLength={LONG_TEXT_MAX_LENGTH}
          defaultValue={value}
          errors={errors}
        />
      ) : (
        <Field
          label={field.label}
          name={field.key}
          maxLength={SHORT_TEXT_MAX_LENGTH}
          defaultValue={value}
          errors={errors}
        />
      );
    case "date":
      return (
        <Field
          label={field.label}
          name={field.key}
          type="date"
          max={latestDate(kind.dateKind)}
          defaultValue={value}
          errors={errors}
        />
      );
    case "money":
      return (
        <Field
          label={`${field.label} (${currency})`}
          name={field.key}
          inputMode="decimal"
          defaultValue={value}
          hint="A plain number with a point before the decimals, such as 1234.50."
          errors={errors}
        />
      );
    case "assetId":
      return (
        <Field
          label={field.label}
          name={field.key}
          inputMode="numeric"
          defaultValue={value}
          hint="Digits with an optional dash, such as 000-042."
          errors={errors}
        />
      );
    case "url":
      return (
        <Field
          label={field.label}
          name={field.key}
          type="url"
          defaultValue={value}
          hint="A full address that starts with https://."
          errors={errors}
        />
      );
  }
}

/** Renders the item detail fields of the item form, in sections. */
export function ItemDetailFields({
  values,
  errors,
  currency,
}: {
  values: Record<string, string | undefined>;
  errors?: FieldErrors;
  currency: string;
}) {
  return (
    <>
      {SECTIONS.map((section) => (
        <fieldset key={section.title} className="space-y-4">
          <legend className="text-lg font-semibold">{section.title}</legend>
          {section.keys.map((key) => (
            <DetailInput
              key={key}
              field={fieldByKey(key)}
              value={values[key]}
              errors={errors?.[key]}
              currency={currency}
            />
          ))}
        </fieldset>
      ))}
    </>
  );
}

/**
 * Renders the custom field rows: the filled ones followed by
 * BLANK_CUSTOM_FIELD_ROWS blank ones. The rows are plain repeated inputs, so
 * the form works without JavaScript. Saving and editing again adds more.
 */
export function CustomFieldRows({
  rows,
  errors,
}: {
  rows: CustomFieldEntry[];
  errors?: string[] | null;
}) {
  const id = useId();
  const filled = rows.filter((row) => row.name !== "" || row.value !== "");
  const visibleRows = [
    ...filled,
    ...Array.from({ length: BLANK_CUSTOM_FIELD_ROWS }, () => ({
      name: "",
      value: "",
    })),
  ];
  return (
    <fieldset className="space-y-3" aria-describedby={`${id}-hint`}>
      <legend className="text-lg font-semibold">Custom fields</legend>
      <p id={`${id}-hint`} className="text-sm text-slate-500">
        {`Any other detail as a name and a value, such as “Colour” and “Blue”. Clear both to remove a field. Up to ${CUSTOM_FIELDS_PER_ITEM_MAX} fields; save to get more blank rows.`}
      </p>
      {visibleRows.map((row, index) => (
        <div key={index} className="grid gap-2 sm:grid-cols-2">
          <div>
            <label htmlFor={`${id}-name-${index}`} className="label">
              {`Field ${index + 1} name`}
            </label>
            <input
              id={`${id}-name-${index}`}
              name={CUSTOM_FIELD_INPUTS.name}
              className="input"
              maxLength={CUSTOM_FIELD_NAME_MAX_LENGTH}
              defaultValue={row.name}
            />
          </div>
          <div>
            <label htmlFor={`${id}-value-${index}`} className="label">
              {`Field ${index + 1} value`}
            </label>
            <input
              id={`${id}-value-${index}`}
              name={CUSTOM_FIELD_INPUTS.value}
              className="input"
              maxLength={CUSTOM_FIELD_VALUE_MAX_LENGTH}
              defaultValue={row.value}
            />
          </div>
        </div>
      ))}
      <ErrorList id={`${id}-error`} errors={errors} />
    </fieldset>
  );
}

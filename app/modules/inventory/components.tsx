import { Link } from "@remix-run/react";
import { useId } from "react";

import { ErrorList, Field, TextareaField } from "~/components/forms";
import type { FieldErrors } from "~/utils/forms";

import { TAG_SEPARATOR } from "./csv/columns";
import { CustomFieldRows, ItemDetailFields } from "./item-detail-fields";
import type { CustomFieldEntry } from "./item-details";
import type { LocationOption } from "./location-tree.server";
import {
  DESCRIPTION_MAX_LENGTH,
  ITEM_NAME_MAX_LENGTH,
  QUANTITY_MAX,
  TAG_NAME_MAX_LENGTH,
  TAGS_PER_ITEM_MAX,
} from "./schemas";

type LocationSelectProps = {
  label: string;
  name: string;
  options: LocationOption[];
  /** Text of the empty choice, such as "No location" or "Top level". */
  emptyLabel: string;
  defaultValue?: string;
  errors?: string[] | null;
};

/**
 * Renders a select of locations labelled with their full paths. Options are grouped
 * by household when they come from more than one.
 */
export function LocationSelect({
  label,
  name,
  options,
  emptyLabel,
  defaultValue,
  errors,
}: LocationSelectProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const households = [...new Set(options.map((option) => option.householdId))];
  const renderOption = (option: LocationOption) => (
    <option key={option.id} value={option.id}>
      {option.label}
    </option>
  );

  return (
    <div>
      <label htmlFor={id} className="label">
        {label}
      </label>
      <select
        id={id}
        name={name}
        className="input"
        defaultValue={defaultValue ?? ""}
        aria-invalid={errors?.length ? true : undefined}
        aria-describedby={errors?.length ? errorId : undefined}
      >
        <option value="">{emptyLabel}</option>
        {households.length > 1
          ? households.map((householdId) => {
              const group = options.filter(
                (option) => option.householdId === householdId,
              );
              return (
                <optgroup key={householdId} label={group[0]!.householdName}>
                  {group.map(renderOption)}
                </optgroup>
              );
            })
          : options.map(renderOption)}
      </select>
      <ErrorList id={errorId} errors={errors} />
    </div>
  );
}

/**
 * Renders the fields shared by the new-item and edit-item forms: the basic
 * fields, the item details and the custom field rows. `currency` labels the
 * price fields.
 */
export function ItemFields({
  values,
  errors,
  locationOptions,
  currency,
  customFieldRows,
}: {
  values: Record<string, string | undefined>;
  errors?: FieldErrors;
  locationOptions: LocationOption[];
  currency: string;
  customFieldRows: CustomFieldEntry[];
}) {
  return (
    <>
      <Field
        label="Name"
        name="name"
        required
        maxLength={ITEM_NAME_MAX_LENGTH}
        defaultValue={values.name}
        errors={errors?.name}
      />
      <TextareaField
        label="Description"
        name="description"
        rows={4}
        maxLength={DESCRIPTION_MAX_LENGTH}
        defaultValue={values.description}
        errors={errors?.description}
      />
      <Field
        label="Quantity"
        name="quantity"
        inputMode="numeric"
        pattern="[0-9]*"
        defaultValue={values.quantity ?? "1"}
        hint={`A whole number from 0 to ${QUANTITY_MAX.toLocaleString("en-US")}.`}
        errors={errors?.quantity}
      />
      <LocationSelect
        label="Location"
        name="locationId"
        options={locationOptions}
        emptyLabel="No location"
        defaultValue={values.locationId}
        errors={errors?.locationId}
      />
      <Field
        label="Tags"
        name="tags"
        defaultValue={values.tags}
        hint={`Separate tags with commas, such as “tools, garden”. At most ${TAGS_PER_ITEM_MAX} tags of up to ${TAG_NAME_MAX_LENGTH} characters each, without “${TAG_SEPARATOR}”.`}
        errors={errors?.tags}
      />
      <ItemDetailFields values={values} errors={errors} currency={currency} />
      <CustomFieldRows rows={customFieldRows} errors={errors?.customFields} />
    </>
  );
}

/** Renders links from the location list down through a location path. */
export function LocationBreadcrumb({
  trail,
  linkLast = true,
}: {
  trail: { id: string; name: string }[];
  /** False on the page of the last location itself. */
  linkLast?: boolean;
}) {
  return (
    <nav aria-label="Breadcrumb" className="text-sm text-slate-600">
      <ol className="flex flex-wrap items-center gap-1">
        <li>
          <Link to="/locations" className="link">
            Locations
          </Link>
        </li>
        {trail.map((entry, position) => {
          const last = position === trail.length - 1;
          return (
            <li key={entry.id} className="flex items-center gap-1">
              <span aria-hidden="true">›</span>
              {last && !linkLast ? (
                <span aria-current="page">{entry.name}</span>
              ) : (
                <Link to={`/locations/${entry.id}`} className="link">
                  {entry.name}
                </Link>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

/** Renders tag names as links that filter the item list by that tag. */
export function TagLinks({ tags }: { tags: string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="Tags">
      {tags.map((tag) => (
        <li key={tag}>
          <Link
            to={`/items?${new URLSearchParams({ tag })}`}
            className="rounded-full bg-teal-50 px-2 py-0.5 text-xs text-teal-900 hover:bg-teal-100"
          >
            {tag}
          </Link>
        </li>
      ))}
    </ul>
  );
}

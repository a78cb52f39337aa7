import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, Field, FormError } from "~/components/forms";
import {
  LocationBreadcrumb,
  LocationSelect,
  TagLinks,
} from "~/modules/inventory/components";
import {
  deleteLocation,
  findLocationInScope,
  getLocationPage,
  moveLocation,
  renameLocation,
} from "~/modules/inventory/locations.server";
import {
  LOCATION_NAME_HINT,
  LOCATION_NAME_MAX_LENGTH,
  moveLocationSchema,
  readFormFields,
  renameLocationSchema,
} from "~/modules/inventory/schemas";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { readCheckedForm } from "~/utils/csrf.server";
import type { FieldErrors } from "~/utils/forms";
import { keepValues, toFieldErrors } from "~/utils/forms";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction<typeof loader> = ({ data: loaderData }) => [
  {
    title: loaderData
      ? `${loaderData.location.name} · Locations · Dokodo`
      : "Location · Dokodo",
  },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  return getLocationPage(scope, params.locationId ?? "");
}

type ActionResult = {
  intent: string;
  errors?: FieldErrors;
  formError?: string;
  values: Record<string, string>;
};

function invalid(result: ActionResult) {
  return data(result, { status: 400 });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const formData = await readCheckedForm(request);
  const { id: locationId } = await findLocationInScope(
    scope,
    params.locationId ?? "",
  );
  const intent = String(formData.get("intent") ?? "");
  const values = keepValues(formData);

  switch (intent) {
    case "rename": {
      const parsed = renameLocationSchema.safeParse(
        readFormFields(formData, ["name"]),
      );
      if (!parsed.success) {
        return invalid({ intent, errors: toFieldErrors(parsed.error), values });
      }
      const result = await renameLocation(scope, locationId, parsed.data.name);
      if (!result.ok) return invalid({ intent, errors: result.errors, values });
      return redirect(`/locations/${locationId}`);
    }
    case "move": {
      const parsed = moveLocationSchema.safeParse(
        readFormFields(formData, ["parentId"]),
      );
      if (!parsed.success) {
        return invalid({ intent, errors: toFieldErrors(parsed.error), values });
      }
      const result = await moveLocation(
        scope,
        locationId,
        parsed.data.parentId,
      );
      if (!result.ok) return invalid({ intent, errors: result.errors, values });
      return redirect(`/locations/${locationId}`);
    }
    case "delete": {
      const result = await deleteLocation(
        scope,
        locationId,
        getRequestInfo(request, context),
      );
      if (!result.ok) {
        return invalid({ intent, formError: result.message, values });
      }
      return redirect("/locations");
    }
    default:
      return invalid({
        intent,
        formError:
          "Unknown form action. Use the rename, move or delete form on this page.",
        values,
      });
  }
}

function plural(count: number, singular: string, pluralForm: string): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

export default function LocationPage() {
  const page = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { location, breadcrumb, children, items, moveOptions, canEdit } = page;
  const resultFor = (intent: string) =>
    actionData?.intent === intent ? actionData : undefined;
  const rename = resultFor("rename");
  const move = resultFor("move");
  const remove = resultFor("delete");
  const unknownIntent =
    actionData && !["rename", "move", "delete"].includes(actionData.intent)
      ? actionData.formError
      : undefined;

  return (
    <div className="space-y-6">
      <LocationBreadcrumb trail={breadcrumb} linkLast={false} />
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">{location.name}</h1>
        {canEdit ? (
          <div className="flex gap-2">
            <Link
              to={`/items/new?${new URLSearchParams({ locationId: location.id })}`}
              className="btn-primary"
            >
              Add item here
            </Link>
            <Link
              to={`/locations/new?${new URLSearchParams({ parentId: location.id })}`}
              className="btn-secondary"
            >
              Add sub-location
            </Link>
          </div>
        ) : null}
      </div>
      <FormError message={unknownIntent} />

      <section className="card space-y-3" aria-labelledby="sub-locations">
        <h2 id="sub-locations" className="text-lg font-semibold">
          Sub-locations
        </h2>
        {children.length === 0 ? (
          <p className="text-slate-600">No sub-locations.</p>
        ) : (
          <ul className="space-y-1">
            {children.map((child) => (
              <li key={child.id} className="flex flex-wrap gap-2">
                <Link to={`/locations/${child.id}`} className="link">
                  {child.name}
                </Link>
                <span className="text-sm text-slate-500">
                  {plural(child.totalItemCount, "item", "items")}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card space-y-3" aria-labelledby="items-here">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="items-here" className="text-lg font-semibold">
            Items here
          </h2>
          {location.totalItemCount > location.itemCount ? (
            <Link
              to={`/items?${new URLSearchParams({ locationId: location.id })}`}
              className="link text-sm"
            >
              {`All ${location.totalItemCount} items including sub-locations`}
            </Link>
          ) : null}
        </div>
        {items.length === 0 ? (
          <p className="text-slate-600">No items are kept directly here.</p>
        ) : (
          <ul className="divide-y divide-slate-100">
            {items.map((item) => (
              <li key={item.id} className="flex flex-wrap gap-3 py-2">
                <Link to={`/items/${item.id}`} className="link">
                  {item.name}
                </Link>
                <span className="text-sm text-slate-500">
                  {`× ${item.quantity}`}
                </span>
                <TagLinks tags={item.tags} />
              </li>
            ))}
          </ul>
        )}
      </section>

      {canEdit ? (
        <div className="grid gap-6 md:grid-cols-2">
          <Form method="post" className="card space-y-4" noValidate>
            <h2 className="text-lg font-semibold">Rename</h2>
            <CsrfInput />
            <input type="hidden" name="intent" value="rename" />
            <Field
              label="Name"
              name="name"
              required
              maxLength={LOCATION_NAME_MAX_LENGTH}
              hint={LOCATION_NAME_HINT}
              defaultValue={rename?.values.name ?? location.name}
              errors={rename?.errors?.name}
            />
            <button type="submit" className="btn-secondary">
              Rename
            </button>
          </Form>

          <Form method="post" className="card space-y-4" noValidate>
            <h2 className="text-lg font-semibold">Move</h2>
            <CsrfInput />
            <input type="hidden" name="intent" value="move" />
            <LocationSelect
              label="Move inside"
              name="parentId"
              options={moveOptions}
              emptyLabel="Top level"
              defaultValue={move?.values.parentId ?? location.parentId ?? ""}
              errors={move?.errors?.parentId}
            />
            <button type="submit" className="btn-secondary">
              Move
            </button>
          </Form>

          <Form method="post" className="card space-y-4 md:col-span-2">
            <h2 className="text-lg font-semibold">Delete</h2>
            <CsrfInput />
            <input type="hidden" name="intent" value="delete" />
            <FormError message={remove?.formError} />
            <p className="text-sm text-slate-600">
              Only an empty location can be deleted. Deleting cannot be undone.
            </p>
            <button type="submit" className="btn-danger">
              Delete location
            </button>
          </Form>
        </div>
      ) : null}
    </div>
  );
}

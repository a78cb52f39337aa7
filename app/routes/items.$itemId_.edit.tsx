import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput } from "~/components/forms";
import { ItemFields } from "~/modules/inventory/components";
import { getItemForEdit, updateItem } from "~/modules/inventory/items.server";
import {
  parseItemForm,
  readCustomFieldRows,
} from "~/modules/inventory/schemas";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { keepValues } from "~/utils/forms";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction<typeof loader> = ({ data: loaderData }) => [
  {
    title: loaderData
      ? `Edit ${loaderData.item.name} · Dokodo`
      : "Edit item · Dokodo",
  },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  return getItemForEdit(scope, params.itemId ?? "");
}

export async function action({ request, params }: ActionFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const formData = await readCheckedForm(request);
  // Checked before the form, so another household's item gets 404.
  const { item } = await getItemForEdit(scope, params.itemId ?? "");

  const submitted = {
    values: keepValues(formData),
    customFieldRows: readCustomFieldRows(formData),
  };
  const parsed = parseItemForm(formData, item.currency);
  if (!parsed.ok) {
    return data({ errors: parsed.errors, ...submitted }, { status: 400 });
  }
  const result = await updateItem(scope, item.id, parsed.input, item.currency);
  if (!result.ok) {
    return data({ errors: result.errors, ...submitted }, { status: 400 });
  }
  return redirect(`/items/${result.id}`);
}

export default function EditItemPage() {
  const { item, locationOptions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const values = actionData?.values ?? {
    name: item.name,
    description: item.description,
    quantity: String(item.quantity),
    locationId: item.locationId ?? "",
    tags: item.tags.join(", "),
    ...item.detailText,
  };

  return (
    <div className="mx-auto max-w-xl">
      <h1 className="mb-6 text-2xl font-semibold">Edit {item.name}</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <ItemFields
          values={values}
          errors={actionData?.errors}
          locationOptions={locationOptions}
          currency={item.currency}
          customFieldRows={actionData?.customFieldRows ?? item.customFields}
        />
        <div className="flex gap-3">
          <button type="submit" className="btn-primary">
            Save changes
          </button>
          <Link to={`/items/${item.id}`} className="btn-secondary">
            Cancel
          </Link>
        </div>
      </Form>
    </div>
  );
}

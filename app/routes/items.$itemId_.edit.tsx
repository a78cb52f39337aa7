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
  ITEM_FORM_FIELDS,
  itemFormSchema,
  readFormFields,
} from "~/modules/inventory/schemas";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { validateCsrf } from "~/utils/csrf.server";
import { keepValues, toFieldErrors } from "~/utils/forms";

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
  const formData = await request.formData();
  await validateCsrf(formData, request);
  // Checked before the form, so another household's item gets 404.
  const { item } = await getItemForEdit(scope, params.itemId ?? "");

  const parsed = itemFormSchema.safeParse(
    readFormFields(formData, ITEM_FORM_FIELDS),
  );
  if (!parsed.success) {
    return data(
      { errors: toFieldErrors(parsed.error), values: keepValues(formData) },
      { status: 400 },
    );
  }
  const result = await updateItem(scope, item.id, parsed.data);
  if (!result.ok) {
    return data(
      { errors: result.errors, values: keepValues(formData) },
      { status: 400 },
    );
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

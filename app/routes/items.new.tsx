import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput } from "~/components/forms";
import { ItemFields } from "~/modules/inventory/components";
import {
  createItem,
  getNewItemCurrency,
} from "~/modules/inventory/items.server";
import { getLocationOptions } from "~/modules/inventory/locations.server";
import {
  parseItemForm,
  readCustomFieldRows,
} from "~/modules/inventory/schemas";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { keepValues } from "~/utils/forms";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "New item · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const locationOptions = await getLocationOptions(scope);
  const requested = new URL(request.url).searchParams.get("locationId");
  // An unknown ?locationId= is ignored rather than echoed into the form.
  const locationId = locationOptions.some((option) => option.id === requested)
    ? requested
    : null;
  const currency = await getNewItemCurrency(scope, locationId);
  return { locationOptions, locationId, currency };
}

export async function action({ request }: ActionFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const formData = await readCheckedForm(request);

  const locationId = formData.get("locationId");
  const currency = await getNewItemCurrency(
    scope,
    typeof locationId === "string" && locationId ? locationId : null,
  );
  const submitted = {
    values: keepValues(formData),
    customFieldRows: readCustomFieldRows(formData),
    currency,
  };
  const parsed = parseItemForm(formData, currency);
  if (!parsed.ok) {
    return data({ errors: parsed.errors, ...submitted }, { status: 400 });
  }
  const result = await createItem(scope, parsed.input, currency);
  if (!result.ok) {
    return data({ errors: result.errors, ...submitted }, { status: 400 });
  }
  return redirect(`/items/${result.id}`);
}

export default function NewItemPage() {
  const { locationOptions, locationId, currency } =
    useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const values = actionData?.values ?? { locationId: locationId ?? "" };

  return (
    <div className="mx-auto max-w-xl">
      <h1 className="mb-6 text-2xl font-semibold">New item</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <ItemFields
          values={values}
          errors={actionData?.errors}
          locationOptions={locationOptions}
          currency={actionData?.currency ?? currency}
          customFieldRows={actionData?.customFieldRows ?? []}
        />
        <div className="flex gap-3">
          <button type="submit" className="btn-primary">
            Create item
          </button>
          <Link to="/items" className="btn-secondary">
            Cancel
          </Link>
        </div>
      </Form>
    </div>
  );
}

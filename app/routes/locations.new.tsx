import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, Field } from "~/components/forms";
import { LocationSelect } from "~/modules/inventory/components";
import {
  createLocation,
  getLocationOptions,
} from "~/modules/inventory/locations.server";
import {
  LOCATION_NAME_HINT,
  LOCATION_NAME_MAX_LENGTH,
  newLocationSchema,
  readFormFields,
} from "~/modules/inventory/schemas";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { keepValues, toFieldErrors } from "~/utils/forms";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "New location · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const options = await getLocationOptions(scope);
  const requestedParentId = new URL(request.url).searchParams.get("parentId");
  // An unknown ?parentId= is ignored rather than echoed into the form.
  const parentId = options.some((option) => option.id === requestedParentId)
    ? requestedParentId
    : null;
  return { options, parentId };
}

export async function action({ request }: ActionFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const formData = await readCheckedForm(request);

  const parsed = newLocationSchema.safeParse(
    readFormFields(formData, ["name", "parentId"]),
  );
  if (!parsed.success) {
    return data(
      { errors: toFieldErrors(parsed.error), values: keepValues(formData) },
      { status: 400 },
    );
  }
  const result = await createLocation(scope, parsed.data);
  if (!result.ok) {
    return data(
      { errors: result.errors, values: keepValues(formData) },
      { status: 400 },
    );
  }
  return redirect(`/locations/${result.id}`);
}

export default function NewLocationPage() {
  const { options, parentId } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const values = actionData?.values;

  return (
    <div className="mx-auto max-w-xl">
      <h1 className="mb-6 text-2xl font-semibold">New location</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <Field
          label="Name"
          name="name"
          required
          maxLength={LOCATION_NAME_MAX_LENGTH}
          hint={LOCATION_NAME_HINT}
          defaultValue={values?.name}
          errors={errors?.name}
        />
        <LocationSelect
          label="Inside"
          name="parentId"
          options={options}
          emptyLabel="Top level"
          defaultValue={values?.parentId ?? parentId ?? ""}
          errors={errors?.parentId}
        />
        <div className="flex gap-3">
          <button type="submit" className="btn-primary">
            Create location
          </button>
          <Link to="/locations" className="btn-secondary">
            Cancel
          </Link>
        </div>
      </Form>
    </div>
  );
}

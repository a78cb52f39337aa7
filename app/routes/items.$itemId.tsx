import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, FormError } from "~/components/forms";
import { LocationBreadcrumb, TagLinks } from "~/modules/inventory/components";
import { deleteItem, getItemDetails } from "~/modules/inventory/items.server";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { validateCsrf } from "~/utils/csrf.server";
import { getRequestInfo } from "~/utils/request-context.server";

export const meta: MetaFunction<typeof loader> = ({ data: loaderData }) => [
  {
    title: loaderData ? `${loaderData.name} · Items · Dokodo` : "Item · Dokodo",
  },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  return getItemDetails(scope, params.itemId ?? "");
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const formData = await request.formData();
  await validateCsrf(formData, request);

  const intent = formData.get("intent");
  if (intent !== "delete") {
    // Checked first, so an item of another household gets 404 here too.
    await getItemDetails(scope, params.itemId ?? "");
    return data(
      {
        formError:
          "Unknown form action. Use the delete button on this page, or the edit page to change the item.",
      },
      { status: 400 },
    );
  }
  await deleteItem(
    scope,
    params.itemId ?? "",
    getRequestInfo(request, context),
  );
  return redirect("/items");
}

const dateFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeZone: "UTC",
});

export default function ItemPage() {
  const item = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();

  return (
    <div className="space-y-6">
      {item.breadcrumb.length > 0 ? (
        <LocationBreadcrumb trail={item.breadcrumb} />
      ) : (
        <p className="text-sm text-slate-600">No location set.</p>
      )}
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">{item.name}</h1>
        {item.canEdit ? (
          <Link to={`/items/${item.id}/edit`} className="btn-secondary">
            Edit
          </Link>
        ) : null}
      </div>
      <FormError message={actionData?.formError} />

      <dl className="card grid gap-x-6 gap-y-3 sm:grid-cols-[max-content_1fr]">
        <dt className="font-medium text-slate-700">Quantity</dt>
        <dd>{item.quantity}</dd>
        <dt className="font-medium text-slate-700">Description</dt>
        <dd className="whitespace-pre-line">
          {item.description || (
            <span className="text-slate-500">No description.</span>
          )}
        </dd>
        <dt className="font-medium text-slate-700">Tags</dt>
        <dd>
          {item.tags.length > 0 ? (
            <TagLinks tags={item.tags} />
          ) : (
            <span className="text-slate-500">No tags.</span>
          )}
        </dd>
        <dt className="font-medium text-slate-700">Last changed</dt>
        <dd>{dateFormat.format(new Date(item.updatedAt))} (UTC)</dd>
      </dl>

      {item.canEdit ? (
        <Form method="post" className="card space-y-3">
          <h2 className="text-lg font-semibold">Delete</h2>
          <CsrfInput />
          <input type="hidden" name="intent" value="delete" />
          <p className="text-sm text-slate-600">
            Deleting removes the item and its tag links. It cannot be undone.
          </p>
          <button type="submit" className="btn-danger">
            Delete item
          </button>
        </Form>
      ) : null}
    </div>
  );
}

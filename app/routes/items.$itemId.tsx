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
import { isHttpUrl } from "~/modules/inventory/values";
import { readCheckedForm } from "~/utils/csrf.server";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

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
  const formData = await readCheckedForm(request);

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

/** Renders one detail of the item page, with URLs as links in a new tab. */
function DetailEntry({
  detailKey,
  label,
  text,
}: {
  detailKey?: string;
  label: string;
  text: string;
}) {
  return (
    <>
      <dt className="font-medium text-slate-700">{label}</dt>
      <dd className="whitespace-pre-line break-words">
        {detailKey === "url" && isHttpUrl(text) ? (
          <a
            href={text}
            className="link"
            target="_blank"
            rel="noopener noreferrer nofollow"
          >
            {text}
          </a>
        ) : (
          text
        )}
      </dd>
    </>
  );
}

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
        <h1 className="text-2xl font-semibold">
          {item.name}
          {item.archived ? (
            <span className="ml-3 rounded-full bg-slate-200 px-2 py-0.5 align-middle text-sm font-normal text-slate-700">
              Archived
            </span>
          ) : null}
        </h1>
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
        {item.parent ? (
          <>
            <dt className="font-medium text-slate-700">Part of</dt>
            <dd>
              <Link to={`/items/${item.parent.id}`} className="link">
                {item.parent.name}
              </Link>
            </dd>
          </>
        ) : null}
        <dt className="font-medium text-slate-700">Last changed</dt>
        <dd>{dateFormat.format(new Date(item.updatedAt))} (UTC)</dd>
      </dl>

      {item.detailEntries.length > 0 || item.customFields.length > 0 ? (
        <section aria-labelledby="item-details-heading" className="card">
          <h2 id="item-details-heading" className="mb-3 text-lg font-semibold">
            Details
          </h2>
          <dl className="grid gap-x-6 gap-y-3 sm:grid-cols-[max-content_1fr]">
            {item.detailEntries.map((entry) => (
              <DetailEntry
                key={entry.key}
                detailKey={entry.key}
                label={entry.label}
                text={entry.text}
              />
            ))}
            {item.customFields.map((field) => (
              <DetailEntry
                key={`custom-${field.name}`}
                label={field.name}
                text={field.value}
              />
            ))}
          </dl>
        </section>
      ) : null}

      {item.parts.length > 0 ? (
        <section aria-labelledby="item-parts-heading" className="card">
          <h2 id="item-parts-heading" className="mb-3 text-lg font-semibold">
            {`Parts (${item.partCount})`}
          </h2>
          <ul className="space-y-1">
            {item.parts.map((part) => (
              <li key={part.id}>
                <Link to={`/items/${part.id}`} className="link">
                  {part.name}
                </Link>
              </li>
            ))}
          </ul>
          {item.partCount > item.parts.length ? (
            <p className="mt-2 text-sm text-slate-600">
              {`Showing the first ${item.parts.length} by name.`}
            </p>
          ) : null}
        </section>
      ) : null}

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

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";

import { FormError } from "~/components/forms";
import { LocationSelect, TagLinks } from "~/modules/inventory/components";
import type { ItemListEntry } from "~/modules/inventory/items.server";
import { searchItems } from "~/modules/inventory/items.server";
import { getLocationOptions } from "~/modules/inventory/locations.server";
import {
  itemListQuerySchema,
  SEARCH_QUERY_MAX_LENGTH,
} from "~/modules/inventory/schemas";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { listTagsInUse } from "~/modules/inventory/tags.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Items · Dokodo" }];

type ListPage = {
  items: ItemListEntry[];
  total: number;
  page: number;
  pageCount: number;
  locationPath: string | null;
};

export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const url = new URL(request.url);
  const filters = {
    q: url.searchParams.get("q") ?? "",
    tag: url.searchParams.get("tag") ?? "",
    locationId: url.searchParams.get("locationId") ?? "",
  };
  const [tags, locationOptions] = await Promise.all([
    listTagsInUse(scope),
    getLocationOptions(scope, scope.householdIds),
  ]);
  const canCreate = scope.households.some((household) =>
    ["OWNER", "EDITOR"].includes(household.role),
  );
  const shared = { filters, tags, locationOptions, canCreate };

  const parsed = itemListQuerySchema.safeParse({
    ...filters,
    page: url.searchParams.get("page") ?? undefined,
  });
  if (!parsed.success) {
    const error = parsed.error.issues.map((issue) => issue.message).join(" ");
    return data({ ...shared, error, list: null }, { status: 400 });
  }

  const result = await searchItems(scope, parsed.data);
  if (!result.ok) {
    return data(
      { ...shared, error: result.message, list: null },
      { status: 400 },
    );
  }
  if (result.page > result.pageCount) {
    // A page past the end, such as after deleting items, redirects to the last.
    url.searchParams.set("page", String(result.pageCount));
    throw redirect(`${url.pathname}?${url.searchParams}`);
  }

  const list: ListPage = {
    items: result.items,
    total: result.total,
    page: result.page,
    pageCount: result.pageCount,
    locationPath: result.location?.path ?? null,
  };
  return { ...shared, error: null, list };
}

/** Page numbers to link: the first, the last and two either side of the current. */
function pageWindow(page: number, pageCount: number): (number | null)[] {
  const pages: (number | null)[] = [];
  for (let number = 1; number <= pageCount; number += 1) {
    const near = Math.abs(number - page) <= 2;
    if (number === 1 || number === pageCount || near) pages.push(number);
    else if (pages[pages.length - 1] !== null) pages.push(null);
  }
  return pages;
}

function Pagination({
  page,
  pageCount,
  hrefFor,
}: {
  page: number;
  pageCount: number;
  hrefFor: (page: number) => string;
}) {
  if (pageCount <= 1) return null;
  return (
    <nav aria-label="Pages" className="flex flex-wrap items-center gap-2">
      {page > 1 ? (
        <Link to={hrefFor(page - 1)} className="link" rel="prev">
          Previous
        </Link>
      ) : null}
      {pageWindow(page, pageCount).map((number, position) =>
        number === null ? (
          <span key={`gap-${position}`} aria-hidden="true">
            …
          </span>
        ) : number === page ? (
          <span
            key={number}
            aria-current="page"
            className="rounded bg-teal-700 px-2 py-0.5 text-white"
          >
            {number}
          </span>
        ) : (
          <Link key={number} to={hrefFor(number)} className="link px-2">
            {number}
          </Link>
        ),
      )}
      {page < pageCount ? (
        <Link to={hrefFor(page + 1)} className="link" rel="next">
          Next
        </Link>
      ) : null}
    </nav>
  );
}

export default function ItemsPage() {
  const { filters, tags, locationOptions, canCreate, error, list } =
    useLoaderData<typeof loader>();
  const filtered = Boolean(filters.q || filters.tag || filters.locationId);
  const tagChoices = tags.map((tag) => tag.name);
  if (filters.tag && !tagChoices.includes(filters.tag)) {
    tagChoices.unshift(filters.tag);
  }
  const hrefFor = (page: number) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) {
      if (value) params.set(name, value);
    }
    params.set("page", String(page));
    return `/items?${params}`;
  };

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Items</h1>
        <div className="flex flex-wrap gap-3">
          {canCreate ? (
            <Link to="/items/import" className="btn-secondary">
              Import CSV
            </Link>
          ) : null}
          <Link to="/items/export" reloadDocument className="btn-secondary">
            Export CSV
          </Link>
          {canCreate ? (
            <Link to="/items/new" className="btn-primary">
              New item
            </Link>
          ) : null}
        </div>
      </div>

      <Form
        method="get"
        action="/items"
        role="search"
        className="card grid gap-4 md:grid-cols-[2fr_1fr_1fr_auto] md:items-end"
      >
        <div>
          <label htmlFor="search-q" className="label">
            Search
          </label>
          <input
            id="search-q"
            name="q"
            type="search"
            className="input"
            maxLength={SEARCH_QUERY_MAX_LENGTH}
            defaultValue={filters.q}
            placeholder="Name, description or tag"
          />
        </div>
        <div>
          <label htmlFor="search-tag" className="label">
            Tag
          </label>
          <select
            id="search-tag"
            name="tag"
            className="input"
            defaultValue={filters.tag}
          >
            <option value="">Any tag</option>
            {tagChoices.map((tag) => (
              <option key={tag} value={tag}>
                {tag}
              </option>
            ))}
          </select>
        </div>
        <LocationSelect
          label="Location"
          name="locationId"
          options={locationOptions}
          emptyLabel="Any location"
          defaultValue={filters.locationId}
        />
        <div className="flex gap-2">
          <button type="submit" className="btn-primary">
            Search
          </button>
          {filtered ? (
            <Link to="/items" className="btn-secondary">
              Clear
            </Link>
          ) : null}
        </div>
      </Form>

      <FormError message={error} />

      {list ? (
        <ItemResults
          list={list}
          filtered={filtered}
          canCreate={canCreate}
          hrefFor={hrefFor}
        />
      ) : null}
    </div>
  );
}

function ItemResults({
  list,
  filtered,
  canCreate,
  hrefFor,
}: {
  list: ListPage;
  filtered: boolean;
  canCreate: boolean;
  hrefFor: (page: number) => string;
}) {
  if (list.total === 0) {
    return (
      <div className="card text-slate-700">
        {filtered ? (
          <p>
            No items match these filters.{" "}
            <Link to="/items" className="link">
              Show all items
            </Link>
          </p>
        ) : (
          <p>
            No items yet.{" "}
            {canCreate ? (
              <Link to="/items/new" className="link">
                Add your first item
              </Link>
            ) : null}
          </p>
        )}
      </div>
    );
  }

  const where = list.locationPath ? ` in ${list.locationPath}` : "";
  const summary = `${list.total} ${list.total === 1 ? "item" : "items"}${where} · page ${list.page} of ${list.pageCount}`;
  return (
    <section className="space-y-3" aria-label="Results">
      <p className="text-sm text-slate-600">{summary}</p>
      <ul className="card divide-y divide-slate-100 p-0">
        {list.items.map((item) => (
          <li
            key={item.id}
            className="flex flex-wrap items-center gap-x-4 gap-y-1 px-6 py-3"
          >
            <Link to={`/items/${item.id}`} className="link font-medium">
              {item.name}
            </Link>
            <span className="text-sm text-slate-500">{`× ${item.quantity}`}</span>
            {item.locationPath ? (
              <Link
                to={`/locations/${item.locationId}`}
                className="text-sm text-slate-600 hover:underline"
              >
                {item.locationPath}
              </Link>
            ) : null}
            <TagLinks tags={item.tags} />
          </li>
        ))}
      </ul>
      <Pagination
        page={list.page}
        pageCount={list.pageCount}
        hrefFor={hrefFor}
      />
    </section>
  );
}

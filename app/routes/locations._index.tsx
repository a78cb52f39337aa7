import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";

import type { LocationNode } from "~/modules/inventory/location-tree.server";
import { getLocationTree } from "~/modules/inventory/locations.server";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Locations · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  return { tree: await getLocationTree(scope) };
}

function itemCountLabel(node: LocationNode): string {
  const own = `${node.itemCount} ${node.itemCount === 1 ? "item" : "items"}`;
  if (node.children.length === 0) return own;
  return `${own}, ${node.totalItemCount} including sub-locations`;
}

function LocationTree({ nodes }: { nodes: LocationNode[] }) {
  return (
    <ul className="space-y-1 border-l border-slate-200 pl-4">
      {nodes.map((node) => (
        <li key={node.id}>
          <div className="flex flex-wrap items-baseline gap-2">
            <Link to={`/locations/${node.id}`} className="link font-medium">
              {node.name}
            </Link>
            <span className="text-sm text-slate-500">
              {itemCountLabel(node)}
            </span>
          </div>
          {node.children.length > 0 ? (
            <div className="mt-1">
              <LocationTree nodes={node.children} />
            </div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export default function LocationsPage() {
  const { tree } = useLoaderData<typeof loader>();
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Locations</h1>
        <Link to="/locations/new" className="btn-primary">
          New location
        </Link>
      </div>
      {tree.length === 0 ? (
        <div className="card text-slate-700">
          <p>
            No locations yet. Add the places you keep things, such as a room,
            then a cupboard inside it.
          </p>
          <p className="mt-3">
            <Link to="/locations/new" className="link">
              Add your first location
            </Link>
          </p>
        </div>
      ) : (
        <div className="card">
          <LocationTree nodes={tree} />
        </div>
      )}
    </div>
  );
}

import type { LoaderFunctionArgs } from "@remix-run/node";

import {
  createItemCsvStream,
  exportFileName,
  resolveExportHousehold,
} from "~/modules/inventory/csv/export.server";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";

/**
 * Downloads the items of one of the user's households as CSV in the import
 * format: `?household=<id>`, or the default household without it.
 *
 * The response sets no Cache-Control. The Express entry sets "no-store" on
 * every response before Remix runs, and Remix appends route headers to it
 * instead of replacing it, so a value here would make the header list two.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const household = resolveExportHousehold(
    scope,
    new URL(request.url).searchParams.get("household"),
  );
  return new Response(createItemCsvStream(household.id), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportFileName()}"`,
    },
  });
}

import type { LoaderFunctionArgs } from "@remix-run/node";

import {
  createItemCsvStream,
  exportFileName,
  resolveExportHousehold,
} from "~/modules/inventory/csv/export.server";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { getRequestInfo } from "~/utils/request-context.server";

/**
 * Downloads the items of one of the user's households as CSV in the import
 * format: `?household=<id>`, or the default household without it. Each
 * download records INVENTORY_EXPORTED before the stream starts, without an
 * item count, because the rows are counted only as they are streamed.
 *
 * The response sets no Cache-Control. The Express entry sets "no-store" on
 * every response before Remix runs, and Remix appends route headers to it
 * instead of replacing it, so a value here would make the header list two.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const household = resolveExportHousehold(
    scope,
    new URL(request.url).searchParams.get("household"),
  );
  await recordAuditEvent(
    {
      action: "INVENTORY_EXPORTED",
      actorId: scope.userId,
      targetType: "Household",
      targetId: household.id,
    },
    getRequestInfo(request, context),
  );
  return new Response(createItemCsvStream(household.id), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportFileName()}"`,
    },
  });
}

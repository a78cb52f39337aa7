import type { LoaderFunctionArgs } from "@remix-run/node";
import { stringify } from "csv-stringify/sync";

import { guardFormula } from "~/modules/inventory/csv/columns";
import { listImportProblems } from "~/modules/inventory/csv/import.server";
import { requireHouseholdScope } from "~/modules/inventory/scope.server";

/**
 * Downloads every problem of an uploaded import file as CSV with the
 * columns row, column, value and problem. File-level errors use row 0.
 * Cache-Control is left to the Express entry, which sets "no-store" on
 * every response before Remix runs, because Remix appends a route's value
 * to that one instead of replacing it.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const jobId = new URL(request.url).searchParams.get("job") ?? "";
  const { problems, fileErrors } = await listImportProblems(scope, jobId);
  const records = [
    ["row", "column", "value", "problem"],
    ...fileErrors.map((message) => ["0", "", "", message]),
    ...problems.map((problem) => [
      String(problem.row),
      problem.column,
      guardFormula(problem.value),
      problem.message,
    ]),
  ];
  return new Response(
    `\uFEFF${stringify(records, { record_delimiter: "\r\n" })}`,
    {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="import-problems.csv"',
      },
    },
  );
}

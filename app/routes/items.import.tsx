import type {
  ActionFunctionArgs,
  HeadersFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, FormError } from "~/components/forms";
import {
  IMPORT_MAX_BYTES,
  IMPORT_MAX_ROWS,
  PROBLEMS_SHOWN_MAX,
} from "~/modules/inventory/csv/columns";
import { ImportFormatReference } from "~/modules/inventory/csv/format-reference";
import type {
  ImportJobView,
  ImportPreview,
} from "~/modules/inventory/csv/import.server";
import {
  confirmImportJob,
  createImportJob,
  discardImportJob,
  getImportJob,
} from "~/modules/inventory/csv/import.server";
import {
  isMultipartRequest,
  readCsvFile,
  readUploadForm,
} from "~/modules/inventory/csv/upload.server";
import type { HouseholdScope } from "~/modules/inventory/scope.server";
import {
  editableHouseholdIds,
  requireHouseholdScope,
} from "~/modules/inventory/scope.server";
import { checkThrottle } from "~/modules/security/throttle.server";
import { validateCsrf, readCheckedForm } from "~/utils/csrf.server";
import { getEnv } from "~/utils/env.server";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Import items · Dokodo" }];

/** Passes the action's Retry-After on to document responses. */
export const headers: HeadersFunction = ({ actionHeaders }) => actionHeaders;

const numberFormat = new Intl.NumberFormat("en-US");
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** Lists the households the user may import into, default household first. */
function importTargets(scope: HouseholdScope) {
  const editable = new Set(editableHouseholdIds(scope));
  return scope.households
    .filter((household) => editable.has(household.id))
    .sort(
      (a, b) =>
        Number(b.id === scope.defaultHouseholdId) -
        Number(a.id === scope.defaultHouseholdId),
    )
    .map((household) => ({ id: household.id, name: household.name }));
}

/** Loads the upload form, and the preview or result of `?job=<id>`. */
export async function loader({ request }: LoaderFunctionArgs) {
  const scope = await requireHouseholdScope(request);
  const jobId = new URL(request.url).searchParams.get("job");
  const households = importTargets(scope);
  if (!jobId) return { households, job: null, jobMissing: false };

  try {
    const job = await getImportJob(scope, jobId);
    return { households, job, jobMissing: false };
  } catch (error) {
    if (error instanceof Response && error.status === 404) {
      return data({ households, job: null, jobMissing: true }, { status: 404 });
    }
    throw error;
  }
}

function textField(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

/** Returns a window length such as "10 minutes" or "90 seconds". */
function describeWindow(seconds: number): string {
  if (seconds % 60 !== 0) return `${seconds} seconds`;
  const minutes = seconds / 60;
  return minutes === 1 ? "minute" : `${minutes} minutes`;
}

/**
 * Stores an uploaded file and redirects to its preview (multipart form), or
 * confirms or discards an upload (intent "confirm" or "discard"). Uploads
 * count against the "import-upload" throttle policy of the user, checked
 * once the CSRF token is valid and the file could be read.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const scope = await requireHouseholdScope(request);

  if (isMultipartRequest(request)) {
    const upload = await readUploadForm(request);
    if (!upload.ok) {
      return data({ formError: upload.message }, { status: upload.status });
    }
    await validateCsrf(upload.value, request);
    const householdId =
      textField(upload.value, "householdId") ||
      importTargets(scope)[0]?.id ||
      scope.defaultHouseholdId;
    const file = await readCsvFile(upload.value, "file");
    if (!file.ok) {
      return data({ formError: file.message }, { status: file.status });
    }
    // Counted only now, so a file the upload rejects before parsing (empty,
    // not UTF-8) does not use up the user's uploads.
    const decision = await checkThrottle(
      "import-upload",
      scope.userId,
      request,
    );
    if (!decision.allowed) {
      const env = getEnv();
      return data(
        {
          formError: `You can upload at most ${env.THROTTLE_IMPORT_UPLOAD_LIMIT} files every ${describeWindow(env.THROTTLE_IMPORT_UPLOAD_WINDOW_SECONDS)}. Try again in ${decision.retryAfterSeconds} seconds.`,
        },
        {
          status: 429,
          headers: { "Retry-After": String(decision.retryAfterSeconds) },
        },
      );
    }
    const jobId = await createImportJob(scope, {
      householdId,
      fileName: file.value.fileName,
      csvText: file.value.text,
    });
    return redirect(`/items/import?job=${encodeURIComponent(jobId)}`);
  }

  const formData = await readCheckedForm(request);
  const jobId = textField(formData, "jobId");
  const intent = textField(formData, "intent");

  if (intent === "discard") {
    await discardImportJob(scope, jobId);
    return redirect("/items/import");
  }
  if (intent !== "confirm") {
    return data(
      {
        formError:
          "Unknown form action. Upload a file, then use the Import or Discard button of its preview.",
      },
      { status: 400 },
    );
  }
  const outcome = await confirmImportJob(
    scope,
    jobId,
    { skipRowsWithErrors: formData.get("skipRowsWithErrors") === "true" },
    getRequestInfo(request, context),
  );
  if (!outcome.ok) {
    return data({ formError: outcome.message }, { status: 409 });
  }
  return redirect(`/items/import?job=${encodeURIComponent(jobId)}`);
}

/** Renders the upload form, the preview with its problems, or the result. */
export default function ImportItemsPage() {
  const { households, job, jobMissing } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Import items from CSV</h1>
        <div className="flex gap-3">
          <Link to="/items/export" reloadDocument className="btn-secondary">
            Export items
          </Link>
          <Link to="/items" className="btn-secondary">
            Back to items
          </Link>
        </div>
      </div>
      <FormError message={actionData?.formError} />
      {jobMissing ? (
        <FormError message="This upload does not exist or has expired. Upload the file again." />
      ) : null}

      {job?.status === "COMPLETED" ? <ImportResultCard job={job} /> : null}
      {job?.status === "PENDING" ? <PreviewCard job={job} /> : null}
      {households.length === 0 ? (
        <p className="card text-slate-700">
          You can view your households’ inventory but not change it, so you
          cannot import items. Ask a household owner for editor access.
        </p>
      ) : (
        <UploadForm households={households} />
      )}
      <ImportFormatReference />
    </div>
  );
}

function UploadForm({
  households,
}: {
  households: { id: string; name: string }[];
}) {
  return (
    <Form
      method="post"
      action="/items/import"
      encType="multipart/form-data"
      className="card space-y-4"
    >
      <h2 className="text-lg font-semibold">Upload a file</h2>
      <CsrfInput />
      <p className="text-sm text-slate-600">
        {`A CSV file of up to ${IMPORT_MAX_BYTES / 1024 / 1024} MB and ${numberFormat.format(IMPORT_MAX_ROWS)} item rows, in the format described below. Uploading only checks the file: you see what would change and confirm before anything is saved.`}
      </p>
      {households.length > 1 ? (
        <div>
          <label htmlFor="import-household" className="label">
            Household
          </label>
          <select
            id="import-household"
            name="householdId"
            className="input"
            defaultValue={households[0]!.id}
          >
            {households.map((household) => (
              <option key={household.id} value={household.id}>
                {household.name}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <input type="hidden" name="householdId" value={households[0]!.id} />
      )}
      <div>
        <label htmlFor="import-file" className="label">
          CSV file
        </label>
        <input
          id="import-file"
          name="file"
          type="file"
          required
          accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values"
          className="block"
        />
      </div>
      <button type="submit" className="btn-primary">
        Upload and preview
      </button>
    </Form>
  );
}

type PendingJob = Extract<ImportJobView, { status: "PENDING" }>;

function PreviewCard({ job }: { job: PendingJob }) {
  return (
    <section className="card space-y-4" aria-labelledby="preview-heading">
      <h2 id="preview-heading" className="text-lg font-semibold">
        {`Preview of “${job.fileName}” for ${job.householdName}`}
      </h2>
      {job.fileErrors.length > 0 ? (
        <div role="alert" className="space-y-2">
          <p className="font-medium text-red-800">
            The file cannot be imported:
          </p>
          <ul className="list-disc space-y-1 pl-6 text-red-800">
            {job.fileErrors.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <p className="text-sm text-slate-600">
        {`Nothing is saved until you import. This preview was checked against the household’s items on ${dateTimeFormat.format(new Date(job.plannedAt))} (UTC), and importing checks the file again. The upload is kept until ${dateTimeFormat.format(new Date(job.expiresAt))} (UTC).`}
      </p>
      {job.preview ? <PreviewDetails preview={job.preview} /> : null}
      <div className="flex flex-wrap items-end gap-3">
        {job.preview &&
        job.preview.createCount + job.preview.updateCount > 0 ? (
          <ConfirmForm jobId={job.id} preview={job.preview} />
        ) : null}
        <Form method="post" action={`/items/import?job=${job.id}`}>
          <CsrfInput />
          <input type="hidden" name="jobId" value={job.id} />
          <button
            type="submit"
            name="intent"
            value="discard"
            className="btn-secondary"
          >
            Discard upload
          </button>
        </Form>
      </div>
    </section>
  );
}

function ConfirmForm({
  jobId,
  preview,
}: {
  jobId: string;
  preview: ImportPreview;
}) {
  const count = preview.createCount + preview.updateCount;
  return (
    <Form
      method="post"
      action={`/items/import?job=${jobId}`}
      className="space-y-3"
    >
      <CsrfInput />
      <input type="hidden" name="jobId" value={jobId} />
      {preview.problemCount > 0 ? (
        <label className="flex items-center gap-2">
          <input type="checkbox" name="skipRowsWithErrors" value="true" />
          <span>
            {`Skip rows with errors (${numberFormat.format(preview.errorRowCount)}) and import the other ${numberFormat.format(count)}`}
          </span>
        </label>
      ) : null}
      <button
        type="submit"
        name="intent"
        value="confirm"
        className="btn-primary"
      >
        {`Import ${numberFormat.format(count)} ${count === 1 ? "item" : "items"}`}
      </button>
    </Form>
  );
}

function PreviewDetails({ preview }: { preview: ImportPreview }) {
  return (
    <>
      <dl className="grid gap-x-6 gap-y-2 sm:grid-cols-[max-content_1fr]">
        <dt className="font-medium text-slate-700">Item rows</dt>
        <dd data-testid="row-count">
          {`${numberFormat.format(preview.rowCount)} (${preview.delimiter}-separated)`}
        </dd>
        <dt className="font-medium text-slate-700">Items to create</dt>
        <dd data-testid="create-count">
          {numberFormat.format(preview.createCount)}
        </dd>
        <dt className="font-medium text-slate-700">Items to update</dt>
        <dd data-testid="update-count">
          {numberFormat.format(preview.updateCount)}
        </dd>
        <dt className="font-medium text-slate-700">New locations</dt>
        <dd data-testid="location-count">
          {numberFormat.format(preview.newLocationCount)}
          <NameList
            names={preview.newLocations}
            total={preview.newLocationCount}
          />
        </dd>
        <dt className="font-medium text-slate-700">New tags</dt>
        <dd data-testid="tag-count">
          {numberFormat.format(preview.newTagCount)}
          <NameList names={preview.newTags} total={preview.newTagCount} />
        </dd>
        <dt className="font-medium text-slate-700">Rows with errors</dt>
        <dd data-testid="error-row-count">
          {numberFormat.format(preview.errorRowCount)}
        </dd>
      </dl>
      {preview.problemCount > 0 ? (
        <p className="text-sm text-slate-600">
          The counts above leave out the rows with errors. Without “Skip rows
          with errors”, nothing is imported while any row has an error.
        </p>
      ) : null}
      {preview.ignoredColumns.length > 0 ? (
        <div>
          <h3 className="font-medium">Ignored columns</h3>
          <ul className="list-disc pl-6 text-sm">
            {preview.ignoredColumns.map((column) => (
              <li key={column.name}>
                <code>{column.name}</code>
                {`: ${column.reason}`}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {preview.problemCount > 0 ? <ProblemTable preview={preview} /> : null}
    </>
  );
}

function NameList({ names, total }: { names: string[]; total: number }) {
  if (names.length === 0) return null;
  const rest = total - names.length;
  return (
    <span className="text-sm text-slate-600">
      {`: ${names.join(", ")}${rest > 0 ? ` and ${numberFormat.format(rest)} more` : ""}`}
    </span>
  );
}

function ProblemTable({ preview }: { preview: ImportPreview }) {
  return (
    <div className="space-y-2">
      <h3 className="font-medium">
        {`Problems (${numberFormat.format(preview.problemCount)})`}
      </h3>
      {preview.problemCount > PROBLEMS_SHOWN_MAX ? (
        <p className="text-sm text-slate-600">
          {`Showing the first ${numberFormat.format(PROBLEMS_SHOWN_MAX)}. `}
        </p>
      ) : null}
      <ProblemDownloadLink />
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm" id="import-problems">
          <thead>
            <tr>
              <th scope="col" className="pr-4">
                Row
              </th>
              <th scope="col" className="pr-4">
                Column
              </th>
              <th scope="col" className="pr-4">
                Value
              </th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {preview.problems.map((problem, index) => (
              <tr key={index} className="border-t border-slate-100 align-top">
                <td className="pr-4">{problem.row}</td>
                <td className="pr-4">
                  <code>{problem.column || "(row)"}</code>
                </td>
                <td className="max-w-xs whitespace-pre-wrap break-words pr-4">
                  {problem.value}
                </td>
                <td>{problem.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ProblemDownloadLink() {
  const { job } = useLoaderData<typeof loader>();
  if (!job) return null;
  return (
    <p className="text-sm">
      <Link
        to={`/items/import/problems?job=${job.id}`}
        reloadDocument
        className="link"
      >
        Download every problem as CSV
      </Link>
    </p>
  );
}

function ImportResultCard({
  job,
}: {
  job: Extract<ImportJobView, { status: "COMPLETED" }>;
}) {
  const { result } = job;
  return (
    <section className="card space-y-3" aria-labelledby="result-heading">
      <h2 id="result-heading" className="text-lg font-semibold">
        {`Imported “${job.fileName}” into ${job.householdName}`}
      </h2>
      <ul className="list-disc pl-6" data-testid="import-result">
        <li>{`${numberFormat.format(result.itemsCreated)} items created`}</li>
        <li>{`${numberFormat.format(result.itemsUpdated)} items updated`}</li>
        <li>{`${numberFormat.format(result.locationsCreated)} locations created`}</li>
        <li>{`${numberFormat.format(result.tagsCreated)} tags created`}</li>
        <li>{`${numberFormat.format(result.rowsSkipped)} rows with errors skipped`}</li>
      </ul>
      <Link to="/items" className="link">
        Show the items
      </Link>
    </section>
  );
}

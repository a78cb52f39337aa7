import { parse } from "csv-parse/sync";

import { unguardFormula } from "~/modules/inventory/csv/columns";
import { prisma } from "~/utils/db.server";

import type { TestClient } from "./client";

/** One problem of an import preview, as the problem download lists it. */
export type ProblemRow = {
  row: number;
  column: string;
  value: string;
  problem: string;
};

/**
 * POSTs a multipart form the way a browser submits a file upload: with the
 * page's CSRF token (unless `csrf` is given) and this site's Origin.
 */
export async function postMultipart(
  client: TestClient,
  path: string,
  fields: Record<string, string>,
  file: {
    field: string;
    name: string;
    content: string | Uint8Array<ArrayBuffer>;
  } | null,
  options: { csrf?: string | null } = {},
): Promise<Response> {
  const form = new FormData();
  const csrf =
    options.csrf === undefined
      ? await client.fetchCsrfToken(new URL(path, "http://x").pathname)
      : options.csrf;
  if (csrf !== null) form.set("csrf", csrf);
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  if (file) {
    form.set(
      file.field,
      new Blob([file.content], { type: "text/csv" }),
      file.name,
    );
  }
  return client.request(path, {
    method: "POST",
    body: form,
    headers: { origin: new URL(client.baseUrl).origin },
  });
}

/** Uploads a CSV file to /items/import and returns the job ID. */
export async function uploadCsv(
  client: TestClient,
  csv: string | Uint8Array<ArrayBuffer>,
  options: { name?: string; householdId?: string } = {},
): Promise<string> {
  const fields: Record<string, string> = {};
  if (options.householdId) fields.householdId = options.householdId;
  const response = await postMultipart(client, "/items/import", fields, {
    field: "file",
    name: options.name ?? "items.csv",
    content: csv,
  });
  const location = response.headers.get("location") ?? "";
  const match = location.match(/^\/items\/import\?job=([^&]+)$/);
  if (response.status !== 302 || !match) {
    throw new Error(
      `Upload failed with ${response.status}: ${(await response.text()).slice(0, 500)}`,
    );
  }
  return decodeURIComponent(match[1]!);
}

/** Confirms an uploaded import and returns the response. */
export function confirmImport(
  client: TestClient,
  jobId: string,
  options: { skipRowsWithErrors?: boolean } = {},
): Promise<Response> {
  const fields: Record<string, string> = { jobId, intent: "confirm" };
  if (options.skipRowsWithErrors) fields.skipRowsWithErrors = "true";
  return client.postForm(`/items/import?job=${jobId}`, fields);
}

/** Uploads and confirms a CSV file, failing unless the import succeeds. */
export async function importCsv(
  client: TestClient,
  csv: string,
  options: { householdId?: string } = {},
): Promise<string> {
  const jobId = await uploadCsv(client, csv, options);
  const response = await confirmImport(client, jobId);
  if (response.status !== 302) {
    throw new Error(
      `Import failed with ${response.status}: ${(await response.text()).slice(0, 2000)}`,
    );
  }
  return jobId;
}

/**
 * Downloads every problem of an uploaded file, with the formula guard of
 * the download removed from values.
 */
export async function fetchProblems(
  client: TestClient,
  jobId: string,
): Promise<ProblemRow[]> {
  const { response, body } = await client.get(
    `/items/import/problems?job=${jobId}`,
  );
  if (response.status !== 200) {
    throw new Error(`Problem download failed with ${response.status}`);
  }
  const records = parse(body, { bom: true, columns: true }) as Record<
    string,
    string
  >[];
  return records.map((record) => ({
    row: Number(record.row),
    column: record.column!,
    value: unguardFormula(record.value!),
    problem: record.problem!,
  }));
}

/** Downloads the CSV export of the default or given household. */
export async function exportCsv(
  client: TestClient,
  householdId?: string,
): Promise<{ response: Response; body: string }> {
  const query = householdId ? `?household=${householdId}` : "";
  return client.get(`/items/export${query}`);
}

/** Parses CSV text, BOM included, into records of strings. */
export function parseCsv(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: true }) as string[][];
}

/** Decodes the HTML entities React writes into text nodes. */
export function decodeHtml(text: string): string {
  return text
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/**
 * Returns the INVENTORY_IMPORTED and INVENTORY_EXPORTED audit events of a
 * user, oldest first, with the columns the tests compare.
 */
export function inventoryAuditEvents(actorId: string) {
  return prisma.auditLog.findMany({
    where: {
      actorId,
      action: { in: ["INVENTORY_IMPORTED", "INVENTORY_EXPORTED"] },
    },
    orderBy: { createdAt: "asc" },
    select: {
      action: true,
      actorId: true,
      targetType: true,
      targetId: true,
      oldValues: true,
      newValues: true,
      ipAddress: true,
    },
  });
}

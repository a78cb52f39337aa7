// The two-step CSV import: an upload is stored as an ImportJob with its
// preview, and a confirmation plans the file again against the current data
// and writes it in one transaction. The file stays on the server between
// the steps, so the confirmation cannot carry rows the preview never
// checked.
import { Prisma as PrismaRuntime } from "~/generated/prisma/client";
import { recordAuditEvent } from "~/utils/audit.server";
import type { Prisma } from "~/utils/db.server";
import { prisma } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import type { RequestInfo } from "~/utils/request-context.server";

import { getHouseholdCurrency } from "../currency.server";
import type { HouseholdScope } from "../scope.server";
import { notFound, requireEditAccess } from "../scope.server";
import { PROBLEMS_SHOWN_MAX } from "./columns";
import { createSortedIdGenerator } from "./ids";
import type { IgnoredColumn, ImportProblem } from "./parse";
import { parseImportCsvPausing } from "./parse";
import type { ImportPlan } from "./plan.server";
import { planImport } from "./plan.server";
import type { ImportResult } from "./write.server";
import { applyImportPlan } from "./write.server";

/** How long an uploaded file waits for confirmation, in milliseconds. */
export const IMPORT_JOB_TTL_MS = 24 * 60 * 60 * 1000;

/** Uploads kept per user. Older ones are deleted on the next upload. */
const JOBS_PER_USER_MAX = 5;

/**
 * Time limit of the import transaction, in milliseconds. Planning and
 * writing 50,000 rows took about 12 s on the 2-core machine of
 * docs/benchmarks.md, so this leaves room for slower servers.
 */
export const IMPORT_TRANSACTION_TIMEOUT_MS = 5 * 60 * 1000;

/** New locations and tags listed by name on the preview page. */
const NAMES_SHOWN_MAX = 200;

/** Characters of a cell value shown with a problem. */
const VALUE_SHOWN_MAX = 200;

/** Preview page data of a file that could be read. */
export type ImportPreview = {
  delimiter: "comma" | "tab";
  columns: string[];
  ignoredColumns: IgnoredColumn[];
  rowCount: number;
  errorRowCount: number;
  problemCount: number;
  /** At most PROBLEMS_SHOWN_MAX problems, values shortened. */
  problems: ImportProblem[];
  createCount: number;
  updateCount: number;
  newLocationCount: number;
  newLocations: string[];
  newTagCount: number;
  newTags: string[];
};

/** Preview page data of a pending upload, as stored with the job. */
export type StoredPreview = {
  fileErrors: string[];
  /** Null when the file has file errors. */
  preview: ImportPreview | null;
  /** When the file was planned against the household's data. */
  plannedAt: string;
};

/** The state of an upload, as the import page shows it. */
export type ImportJobView = {
  id: string;
  fileName: string;
  householdId: string;
  householdName: string;
  expiresAt: Date;
} & (
  | ({ status: "PENDING" } & StoredPreview)
  | { status: "COMPLETED"; result: ImportResult }
);

/** The outcome of a confirmation. */
export type ImportConfirmation =
  { ok: true; result: ImportResult } | { ok: false; message: string };

/**
 * Plans an uploaded file against the household's current data and stores
 * it with its preview. Returns the job ID. Throws 403 unless the user may
 * edit the household. Expired jobs of every user and this user's jobs
 * beyond the newest JOBS_PER_USER_MAX are deleted.
 */
export async function createImportJob(
  scope: HouseholdScope,
  upload: { householdId: string; fileName: string; csvText: string },
): Promise<string> {
  requireEditAccess(scope, upload.householdId);
  const preview = await planPreview({
    householdId: upload.householdId,
    csvText: upload.csvText,
  });
  const now = new Date();
  const job = await prisma.importJob.create({
    data: {
      userId: scope.userId,
      householdId: upload.householdId,
      fileName: upload.fileName.slice(0, 255),
      csvText: upload.csvText,
      preview,
      expiresAt: new Date(now.getTime() + IMPORT_JOB_TTL_MS),
    },
    select: { id: true },
  });

  const older = await prisma.importJob.findMany({
    where: { userId: scope.userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    skip: JOBS_PER_USER_MAX,
    select: { id: true },
  });
  await prisma.importJob.deleteMany({
    where: {
      OR: [
        { expiresAt: { lt: now } },
        { id: { in: older.map((entry) => entry.id) } },
      ],
    },
  });
  return job.id;
}

/**
 * Loads a job of the signed-in user in one of their households, or throws
 * 404, also for expired jobs and jobs of other users.
 */
async function findJob(scope: HouseholdScope, jobId: string) {
  const job = await prisma.importJob.findFirst({
    where: {
      id: jobId,
      userId: scope.userId,
      householdId: { in: scope.householdIds },
      expiresAt: { gt: new Date() },
    },
  });
  if (!job) notFound();
  return job;
}

function householdName(scope: HouseholdScope, householdId: string): string {
  return scope.households.find((entry) => entry.id === householdId)?.name ?? "";
}

function shorten(value: string): string {
  return value.length > VALUE_SHOWN_MAX
    ? `${value.slice(0, VALUE_SHOWN_MAX)}…`
    : value;
}

/** Reads and plans a job's file against the household's current data. */
async function planJob(
  db: Prisma.TransactionClient | typeof prisma,
  job: { householdId: string; csvText: string },
  createId: () => string,
): Promise<
  | { ok: true; plan: ImportPlan; currency: string }
  | { ok: false; fileErrors: string[] }
> {
  const currency = await getHouseholdCurrency(db, job.householdId);
  const file = await parseImportCsvPausing(job.csvText, { currency });
  if (!file.ok) return file;
  const plan = await planImport(db, job.householdId, file, createId);
  return { ok: true, plan, currency };
}

function toPreview(plan: ImportPlan): ImportPreview {
  return {
    delimiter: plan.file.delimiter === "\t" ? "tab" : "comma",
    columns: plan.file.columns,
    ignoredColumns: plan.file.ignoredColumns,
    rowCount: plan.rowCount,
    errorRowCount: plan.errorRowCount,
    problemCount: plan.problems.length,
    problems: plan.problems.slice(0, PROBLEMS_SHOWN_MAX).map((problem) => ({
      ...problem,
      value: shorten(problem.value),
    })),
    createCount: plan.createCount,
    updateCount: plan.updateCount,
    newLocationCount: plan.newLocations.length,
    newLocations: plan.newLocations
      .slice(0, NAMES_SHOWN_MAX)
      .map((location) => location.path),
    newTagCount: plan.newTagNames.length,
    newTags: plan.newTagNames.slice(0, NAMES_SHOWN_MAX),
  };
}

/** Plans a file against the household's current data for the preview. */
async function planPreview(job: {
  householdId: string;
  csvText: string;
}): Promise<StoredPreview> {
  const plannedAt = new Date().toISOString();
  const planned = await planJob(prisma, job, createSortedIdGenerator());
  return planned.ok
    ? { fileErrors: [], preview: toPreview(planned.plan), plannedAt }
    : { fileErrors: planned.fileErrors, preview: null, plannedAt };
}

/**
 * Loads a job with the preview stored at upload. Throws 404 for jobs the
 * user cannot see. A pending job stored without a preview is planned now
 * and the preview is stored for later views.
 */
export async function getImportJob(
  scope: HouseholdScope,
  jobId: string,
): Promise<ImportJobView> {
  const job = await findJob(scope, jobId);
  const base = {
    id: job.id,
    fileName: job.fileName,
    householdId: job.householdId,
    householdName: householdName(scope, job.householdId),
    expiresAt: job.expiresAt,
  };
  if (job.status === "COMPLETED") {
    return {
      ...base,
      status: "COMPLETED",
      result: job.result as unknown as ImportResult,
    };
  }
  let stored = job.preview as unknown as StoredPreview | null;
  if (stored === null) {
    stored = await planPreview(job);
    await prisma.importJob.updateMany({
      where: { id: job.id, status: "PENDING" },
      data: { preview: stored },
    });
  }
  return { ...base, status: "PENDING", ...stored };
}

/**
 * Returns every problem of a pending job's file, for download. Throws 404
 * for jobs the user cannot see. The file is planned again against the
 * household's current data, because the stored preview holds only the first
 * PROBLEMS_SHOWN_MAX problems.
 */
export async function listImportProblems(
  scope: HouseholdScope,
  jobId: string,
): Promise<{
  fileName: string;
  problems: ImportProblem[];
  fileErrors: string[];
}> {
  const job = await findJob(scope, jobId);
  if (job.status !== "PENDING") {
    return { fileName: job.fileName, problems: [], fileErrors: [] };
  }
  const planned = await planJob(prisma, job, createSortedIdGenerator());
  return planned.ok
    ? {
        fileName: job.fileName,
        problems: planned.plan.problems,
        fileErrors: [],
      }
    : { fileName: job.fileName, problems: [], fileErrors: planned.fileErrors };
}

/** Prisma errors that mean concurrent changes made the plan stale. */
const STALE_PLAN_CODES = new Set(["P2002", "P2003", "P2010", "P2034"]);

/**
 * Validates the job's file again and writes it in one transaction. With
 * problems, nothing is written unless `skipRowsWithErrors` is set, and then
 * only the rows without problems are. Any failure rolls the transaction
 * back, so the household is left as it was. Imports into one household run
 * one at a time. A written import records INVENTORY_IMPORTED after the
 * commit. Throws 404 for jobs the user cannot see and 403 when the user may
 * no longer edit the household.
 */
export async function confirmImportJob(
  scope: HouseholdScope,
  jobId: string,
  options: { skipRowsWithErrors: boolean },
  info: RequestInfo,
): Promise<ImportConfirmation> {
  const job = await findJob(scope, jobId);
  requireEditAccess(scope, job.householdId);
  const started = Date.now();

  let outcome: ImportConfirmation;
  try {
    outcome = await prisma.$transaction(
      async (tx): Promise<ImportConfirmation> => {
        // FOR NO KEY UPDATE blocks a second import but not the key-share
        // locks that inserting items and locations takes on the household.
        await tx.$queryRaw`
          SELECT "id" FROM "Household" WHERE "id" = ${job.householdId}
          FOR NO KEY UPDATE`;
        const current = await tx.$queryRaw<{ status: string }[]>`
          SELECT "status"::text AS "status" FROM "ImportJob"
          WHERE "id" = ${job.id} FOR UPDATE`;
        if (current.length === 0) {
          // Discarded in another tab or request after findJob read it.
          return {
            ok: false,
            message:
              "This upload was discarded, so nothing was imported. Upload the file again to import it.",
          };
        }
        if (current[0]!.status !== "PENDING") {
          return {
            ok: false,
            message:
              "This file has already been imported. Upload it again to import it once more.",
          };
        }

        const createId = createSortedIdGenerator();
        const planned = await planJob(tx, job, createId);
        if (!planned.ok) {
          return { ok: false, message: planned.fileErrors.join(" ") };
        }
        const { plan, currency } = planned;
        if (plan.problems.length > 0 && !options.skipRowsWithErrors) {
          return {
            ok: false,
            message: `Nothing was imported because ${plural(plan.errorRowCount, "row has", "rows have")} problems. Fix them and upload the file again, or tick “Skip rows with errors” to import only the other rows.`,
          };
        }
        if (plan.rows.length === 0) {
          return {
            ok: false,
            message:
              "Nothing was imported because every row has problems. Fix them and upload the file again.",
          };
        }
        const result = await applyImportPlan(tx, plan, currency, createId);
        await tx.importJob.update({
          where: { id: job.id },
          data: {
            status: "COMPLETED",
            csvText: "",
            result,
            preview: PrismaRuntime.DbNull,
          },
        });
        return { ok: true, result };
      },
      { timeout: IMPORT_TRANSACTION_TIMEOUT_MS, maxWait: 10_000 },
    );
  } catch (error) {
    if (
      error instanceof PrismaRuntime.PrismaClientKnownRequestError &&
      STALE_PLAN_CODES.has(error.code)
    ) {
      logger.error(
        {
          event: "items.import_failed",
          jobId: job.id,
          householdId: job.householdId,
          err: error,
        },
        "CSV import rolled back",
      );
      return {
        ok: false,
        message:
          "The household changed while the file was being imported, so nothing was imported. Review the preview and confirm again.",
      };
    }
    throw error;
  }

  if (outcome.ok) {
    // recordAuditEvent logs and swallows its own failures, so a failed audit
    // write never turns a committed import into an error.
    await recordAuditEvent(
      {
        action: "INVENTORY_IMPORTED",
        actorId: scope.userId,
        targetType: "Household",
        targetId: job.householdId,
        newValues: outcome.result,
      },
      info,
    );
    logger.info(
      {
        event: "items.imported",
        jobId: job.id,
        householdId: job.householdId,
        durationMs: Date.now() - started,
        ...outcome.result,
      },
      "CSV import written",
    );
  }
  return outcome;
}

/** Deletes a job of the user. Throws 404 for jobs the user cannot see. */
export async function discardImportJob(
  scope: HouseholdScope,
  jobId: string,
): Promise<void> {
  const job = await findJob(scope, jobId);
  await prisma.importJob.deleteMany({
    where: { id: job.id, userId: scope.userId },
  });
}

function plural(count: number, singular: string, pluralForm: string): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? singular : pluralForm}`;
}

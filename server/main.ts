// Start-up: validate configuration, bring up the database, apply migrations,
// then serve the Remix build through the Express pipeline in server/app.ts.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import type { ServerBuild } from "@remix-run/node";

import { ConfigError, initEnv } from "../app/utils/env.server";
import type { Env } from "../app/utils/env.server";
import {
  checkDatabaseConnection,
  runMigrations,
  startEmbeddedPostgres,
} from "./database";
import { describeListenError, StartupError } from "./startup-error";

const PROJECT_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
);
const BUILD_PATH = path.join(PROJECT_ROOT, "build", "server", "index.js");
const DEV_SECRET_FILE = path.join(PROJECT_ROOT, ".data", "session-secret");
const DEV_TWO_FACTOR_KEY_FILE = path.join(
  PROJECT_ROOT,
  ".data",
  "two-factor-key",
);
const SHUTDOWN_TIMEOUT_MS = 10_000;

function loadEnvOrExit(): Env {
  try {
    return initEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Returns the development session secret kept in .data/, creating it on
 * first start so sign-ins survive restarts. Production must configure one.
 */
async function loadDevelopmentSecret(): Promise<string> {
  if (existsSync(DEV_SECRET_FILE)) {
    return (await readFile(DEV_SECRET_FILE, "utf8")).trim();
  }
  const secret = randomBytes(48).toString("base64");
  await mkdir(path.dirname(DEV_SECRET_FILE), { recursive: true });
  await writeFile(DEV_SECRET_FILE, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Returns the development two-factor key kept in .data/, creating 32 random
 * bytes on first start. Losing the file makes stored TOTP secrets
 * unreadable, so production must configure TWO_FACTOR_ENCRYPTION_KEY.
 */
async function loadDevelopmentTwoFactorKey(): Promise<Buffer> {
  if (existsSync(DEV_TWO_FACTOR_KEY_FILE)) {
    const key = Buffer.from(
      (await readFile(DEV_TWO_FACTOR_KEY_FILE, "utf8")).trim(),
      "base64",
    );
    if (key.length !== 32) {
      throw new Error(
        `${DEV_TWO_FACTOR_KEY_FILE} does not contain a 32-byte base64 key; delete it to generate a new one (two-step sign-in of existing accounts then stops working).`,
      );
    }
    return key;
  }
  const key = randomBytes(32);
  await mkdir(path.dirname(DEV_TWO_FACTOR_KEY_FILE), { recursive: true });
  await writeFile(DEV_TWO_FACTOR_KEY_FILE, `${key.toString("base64")}\n`, {
    mode: 0o600,
  });
  return key;
}

/**
 * Steps that undo what start-up has brought up so far, run in reverse order
 * on a stop signal or a failed start, so the embedded database never
 * outlives the process.
 */
const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function runCleanups(): Promise<void> {
  const { logger } = await import("../app/utils/logger.server");
  for (let step = cleanups.pop(); step; step = cleanups.pop()) {
    try {
      await step();
    } catch (error) {
      logger.error(
        { event: "server.stop_step_failed", err: error },
        "a shutdown step failed; continuing with the next",
      );
    }
  }
}

/**
 * Stops the server on SIGINT or SIGTERM: in-flight requests finish first,
 * then background work, database clients and the embedded database stop.
 * A signal during start-up undoes the steps taken so far.
 */
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  const { logger } = await import("../app/utils/logger.server");
  logger.info({ event: "server.stopping", signal }, "shutting down");
  const forceExit = setTimeout(() => {
    logger.error({ event: "server.stop_timeout" }, "shutdown timed out");
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  forceExit.unref();
  await runCleanups();
  logger.info({ event: "server.stopped" }, "stopped");
  process.exit(0);
}

/** Resolves once `server` listens, or rejects with the reason it cannot. */
function waitUntilListening(
  server: Server,
  host: string,
  port: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(describeListenError(error, host, port));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
  });
}

async function main(): Promise<void> {
  const env = loadEnvOrExit();
  const { logger } = await import("../app/utils/logger.server");
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  if (!env.SESSION_SECRET) {
    env.SESSION_SECRET = [await loadDevelopmentSecret()];
    logger.warn(
      { event: "config.dev_secret" },
      "SESSION_SECRET is not set; using the development secret in .data/session-secret",
    );
  }
  if (!env.TWO_FACTOR_ENCRYPTION_KEY) {
    env.TWO_FACTOR_ENCRYPTION_KEY = [await loadDevelopmentTwoFactorKey()];
    logger.warn(
      { event: "config.dev_two_factor_key" },
      "TWO_FACTOR_ENCRYPTION_KEY is not set; using the development key in .data/two-factor-key",
    );
  }

  if (!env.DATABASE_URL) {
    logger.info(
      { event: "database.embedded_starting", dir: env.EMBEDDED_POSTGRES_DIR },
      "starting embedded PostgreSQL",
    );
    const starting = startEmbeddedPostgres({
      dataDir: env.EMBEDDED_POSTGRES_DIR,
      port: env.EMBEDDED_POSTGRES_PORT,
      onLog: (message) =>
        logger.debug({ event: "database.embedded_log" }, message.trim()),
    });
    // Registered before the start finishes, so that a stop signal meanwhile
    // waits for the server and stops it.
    cleanups.push(async () => {
      const embedded = await starting.catch(() => undefined);
      await embedded?.stop();
    });
    env.DATABASE_URL = (await starting).url;
  } else {
    await checkDatabaseConnection(env.DATABASE_URL);
  }

  await runMigrations(env.DATABASE_URL);
  logger.info({ event: "database.migrated" }, "migrations applied");

  if (!existsSync(BUILD_PATH)) {
    throw new StartupError(
      `No Remix build at ${BUILD_PATH}; run npm run build, or npm start without DOKODO_SKIP_BUILD=1, which builds first.`,
    );
  }
  const build = (await import(pathToFileURL(BUILD_PATH).href)) as ServerBuild;
  const { createApp } = await import("./app");
  const { prisma } = await import("../app/utils/db.server");
  const { startEmailWorker } =
    await import("../app/modules/email/outbox.server");
  const { startSecurityPurge } =
    await import("../app/modules/security/purge.server");
  const { endThrottlePool } =
    await import("../app/modules/security/throttle-pool.server");
  cleanups.push(endThrottlePool);
  cleanups.push(() => prisma.$disconnect());

  const server: Server = createApp({ env, build }).listen(env.PORT, env.HOST);
  await waitUntilListening(server, env.HOST, env.PORT);
  // Once listening, errors such as EMFILE on accept are logged instead of
  // ending the process.
  server.on("error", (error) => {
    logger.error({ event: "server.error", err: error }, "HTTP server error");
  });
  // Cleanups run in reverse order: the email worker stops after the last
  // request, so it still sends what those requests queued.
  cleanups.push(startEmailWorker());
  cleanups.push(
    // Finish in-flight requests, then close idle keep-alive sockets.
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  const stopSecurityPurge = startSecurityPurge();
  cleanups.push(async () => stopSecurityPurge());
  logger.info(
    { event: "server.started", origin: env.APP_ORIGIN, port: env.PORT },
    `Dokodo listening on ${env.APP_ORIGIN}`,
  );
}

main().catch(async (error: unknown) => {
  // A stop signal during start-up can make a step fail; stop() exits.
  if (stopping) return;
  stopping = true;
  if (error instanceof StartupError) {
    console.error(`Dokodo failed to start: ${error.message}`);
  } else {
    console.error("Dokodo failed to start:", error);
  }
  await runCleanups();
  process.exit(1);
});

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
import type { EmbeddedDatabase } from "./database";
import { runMigrations, startEmbeddedPostgres } from "./database";

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

async function main(): Promise<void> {
  const env = loadEnvOrExit();
  const { logger } = await import("../app/utils/logger.server");

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

  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    logger.info(
      { event: "database.embedded_starting", dir: env.EMBEDDED_POSTGRES_DIR },
      "starting embedded PostgreSQL",
    );
    embedded = await startEmbeddedPostgres({
      dataDir: env.EMBEDDED_POSTGRES_DIR,
      port: env.EMBEDDED_POSTGRES_PORT,
      onLog: (message) =>
        logger.debug({ event: "database.embedded_log" }, message.trim()),
    });
    env.DATABASE_URL = embedded.url;
  }

  await runMigrations(env.DATABASE_URL);
  logger.info({ event: "database.migrated" }, "migrations applied");

  if (!existsSync(BUILD_PATH)) {
    throw new Error(
      `No Remix build at ${BUILD_PATH}; run npm run build first.`,
    );
  }
  const build = (await import(pathToFileURL(BUILD_PATH).href)) as ServerBuild;
  const { createApp } = await import("./app");
  const { prisma } = await import("../app/utils/db.server");
  const { startEmailWorker } =
    await import("../app/modules/email/outbox.server");
  const { startSecurityPurge } =
    await import("../app/modules/security/purge.server");
  const { throttlePool } =
    await import("../app/modules/security/throttle-pool.server");

  const server: Server = createApp({ env, build }).listen(env.PORT, env.HOST);
  const stopEmailWorker = startEmailWorker();
  const stopSecurityPurge = startSecurityPurge();
  server.on("listening", () => {
    logger.info(
      { event: "server.started", origin: env.APP_ORIGIN, port: env.PORT },
      `Dokodo listening on ${env.APP_ORIGIN}`,
    );
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "server.stopping", signal }, "shutting down");
    const forceExit = setTimeout(() => {
      logger.error({ event: "server.stop_timeout" }, "shutdown timed out");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    forceExit.unref();

    stopSecurityPurge();
    // Finish in-flight requests, then close idle keep-alive sockets.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await stopEmailWorker();
    await prisma.$disconnect();
    await throttlePool.end();
    if (embedded) await embedded.stop();
    logger.info({ event: "server.stopped" }, "stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("Dokodo failed to start:", error);
  process.exit(1);
});

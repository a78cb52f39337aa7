// Once per test run: build the app, start one embedded PostgreSQL server in a
// temporary folder and migrate a template database that every test file
// clones into a database of its own.
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

import type { TestProject } from "vitest/node";

import {
  createDatabaseIfMissing,
  runMigrations,
  startEmbeddedPostgres,
} from "../../server/database";

export const TEMPLATE_DATABASE = "dokodo_template";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the migrated template database; tests clone it. */
    templateDatabaseUrl: string;
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

export default async function setup(project: TestProject) {
  if (process.env.DOKODO_TEST_SKIP_BUILD !== "1") {
    execFileSync("npx", ["remix", "build"], { stdio: "ignore" });
  }

  let stopDatabase = async () => {};
  let tempDir: string | undefined;
  let templateUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    // An external server: the template lives next to the given database.
    const url = new URL(process.env.TEST_DATABASE_URL);
    url.pathname = `/${TEMPLATE_DATABASE}`;
    templateUrl = url.toString();
  } else {
    tempDir = await mkdtemp(path.join(os.tmpdir(), "dokodo-test-"));
    // As root, PostgreSQL runs as the "postgres" user, which must be able to
    // reach the data folder inside this directory.
    await chmod(tempDir, 0o755);
    const database = await startEmbeddedPostgres({
      dataDir: path.join(tempDir, "postgres"),
      port: await findFreePort(),
      databaseName: TEMPLATE_DATABASE,
    });
    templateUrl = database.url;
    stopDatabase = database.stop;
  }
  await createDatabaseIfMissing(templateUrl);
  await runMigrations(templateUrl);
  project.provide("templateDatabaseUrl", templateUrl);

  return async () => {
    await stopDatabase();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
}

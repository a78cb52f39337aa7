// Start-up and shutdown of the server process. A failed start of
// `node --import tsx server/main.ts` exits 1 with one line naming the
// problem and its fix, and stops the embedded PostgreSQL server if it had
// started. Ctrl-C on `npm start` drains requests before the database stops.
import { request as httpRequest } from "node:http";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import os from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  findFreePort,
  spawnApp,
  stopApp,
  waitForHealth,
} from "../support/app-process";
import { TestClient } from "../support/client";
import { createTestDatabase } from "../support/database";

let tempDir: string;
let dataDir: string;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), "dokodo-startup-"));
  // As root, PostgreSQL runs as the "postgres" user, which must reach the
  // data folder inside this directory.
  await chmod(tempDir, 0o755);
  dataDir = path.join(tempDir, "postgres");
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

/** Listens on a free port of 127.0.0.1 so that nothing else can use it. */
function occupyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const blocker = createServer();
    blocker.on("error", reject);
    blocker.listen(0, "127.0.0.1", () => resolve(blocker));
  });
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/**
 * Returns the PIDs of PostgreSQL server processes started with `-D dir`,
 * read from /proc.
 */
async function postgresProcessesFor(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
    } catch {
      continue; // The process ended meanwhile.
    }
    const flag = args.indexOf("-D");
    if (flag !== -1 && args[flag + 1] === dir) pids.push(Number(entry));
  }
  return pids;
}

describe("start-up failure", () => {
  it("names PORT when the port is in use", async () => {
    const blocker = await occupyPort();
    try {
      const app = spawnApp({
        PORT: String(portOf(blocker)),
        EMBEDDED_POSTGRES_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(await findFreePort()),
      });
      expect(await app.exited).toBe(1);
      expect(app.stderr()).toBe(
        `Dokodo failed to start: Port ${portOf(blocker)} on 127.0.0.1 is already in use by another program; stop that program or set PORT to a free port.\n`,
      );
      // The embedded database had started and was stopped again.
      expect(app.output()).not.toContain("Unhandled 'error' event");
      expect(await postgresProcessesFor(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 120_000);

  it("names the data folder another process uses", async () => {
    const port = await findFreePort();
    const embeddedPort = String(await findFreePort());
    const first = spawnApp({
      PORT: String(port),
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: embeddedPort,
    });
    try {
      await waitForHealth(first, `http://127.0.0.1:${port}`);
      const [postgresPid] = await postgresProcessesFor(dataDir);
      expect(postgresPid).toBeGreaterThan(0);

      for (const otherPort of [embeddedPort, String(await findFreePort())]) {
        const second = spawnApp({
          PORT: String(await findFreePort()),
          EMBEDDED_POSTGRES_DIR: dataDir,
          EMBEDDED_POSTGRES_PORT: otherPort,
        });
        expect(await second.exited).toBe(1);
        expect(second.stderr()).toBe(
          `Dokodo failed to start: The embedded database folder ${dataDir} is in use by PostgreSQL process ${postgresPid}, which another Dokodo process (npm start or npm run unlock) started; stop that Dokodo process, or stop the left-over server with "kill -INT ${postgresPid}" if no Dokodo process runs, or set EMBEDDED_POSTGRES_DIR to another folder.\n`,
        );
      }
      // The failed starts left the first server's database running.
      expect(await postgresProcessesFor(dataDir)).toEqual([postgresPid]);
    } finally {
      expect(await stopApp(first)).toBe(0);
    }
    expect(await postgresProcessesFor(dataDir)).toEqual([]);
  }, 180_000);

  it("names EMBEDDED_POSTGRES_PORT when that port is in use", async () => {
    const blocker = await occupyPort();
    try {
      const app = spawnApp({
        PORT: String(await findFreePort()),
        EMBEDDED_POSTGRES_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(portOf(blocker)),
      });
      expect(await app.exited).toBe(1);
      expect(app.stderr()).toBe(
        `Dokodo failed to start: The embedded database port ${portOf(blocker)} is already in use by another program; set EMBEDDED_POSTGRES_PORT to a free port.\n`,
      );
      expect(await postgresProcessesFor(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 120_000);

  it("waits while another process holds the migration lock", async () => {
    const databaseUrl = await createTestDatabase();
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    try {
      // The key Prisma's migrate deploy locks (its P1002 message names it).
      await holder.query("SELECT pg_advisory_lock(72707369)");
      const port = await findFreePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const app = spawnApp({
        PORT: String(port),
        APP_ORIGIN: baseUrl,
        DATABASE_URL: databaseUrl,
      });
      try {
        // Longer than Prisma's own 10 s wait, so the first try times out.
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        expect(app.child.exitCode).toBeNull();
        await holder.query("SELECT pg_advisory_unlock(72707369)");
        await waitForHealth(app, baseUrl);
        expect(app.output()).toContain("database.migration_lock_busy");
      } finally {
        expect(await stopApp(app)).toBe(0);
      }
    } finally {
      await holder.end();
    }
  }, 150_000);

  it("names an unreachable DATABASE_URL without its password", async () => {
    const databasePort = await findFreePort();
    const app = spawnApp({
      PORT: String(await findFreePort()),
      DATABASE_URL: `postgresql://dokodo:hunter2-password@127.0.0.1:${databasePort}/dokodo`,
    });
    expect(await app.exited).toBe(1);
    expect(app.stderr()).toBe(
      `Dokodo failed to start: Cannot reach the database server at 127.0.0.1:${databasePort} (ECONNREFUSED); start PostgreSQL there or correct the host and port in DATABASE_URL.\n`,
    );
    expect(app.output()).not.toContain("hunter2-password");
  }, 60_000);
});

/**
 * Sends a POST whose body arrives in two parts: the first at once, the rest
 * when `sendRest` is called. Resolves with the status and body text.
 */
function startSlowPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): {
  sendRest: () => void;
  response: Promise<{ status: number; text: string }>;
} {
  const split = Math.floor(body.length / 2);
  const request = httpRequest(url, {
    method: "POST",
    headers: { ...headers, "content-length": Buffer.byteLength(body) },
  });
  const response = new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      request.on("error", reject);
      request.on("response", (incoming) => {
        let text = "";
        incoming.setEncoding("utf8");
        incoming.on("data", (chunk: string) => (text += chunk));
        incoming.on("end", () =>
          resolve({ status: incoming.statusCode ?? 0, text }),
        );
        incoming.on("error", reject);
      });
    },
  );
  request.write(body.slice(0, split));
  return { sendRest: () => request.end(body.slice(split)), response };
}

/** Returns the log lines of `output` at pino level error (50) or above. */
function errorLogLines(output: string): string[] {
  return output.split("\n").filter((line) => {
    if (!line.startsWith("{")) return false;
    return (JSON.parse(line) as { level: number }).level >= 50;
  });
}

describe("npm start", () => {
  it("drains requests before stopping on Ctrl-C", async () => {
    const port = await findFreePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // Its own process group, as a terminal gives a foreground job, so that
    // SIGINT can go to the whole group as Ctrl-C sends it.
    const app = spawnApp(
      {
        LOG_LEVEL: "info",
        PORT: String(port),
        APP_ORIGIN: baseUrl,
        EMBEDDED_POSTGRES_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(await findFreePort()),
        DOKODO_SKIP_BUILD: "1",
      },
      { command: ["npm", "start"], detached: true },
    );
    const npm = app.child;

    try {
      await waitForHealth(app, baseUrl);
      const client = new TestClient(baseUrl);
      const csrf = await client.fetchCsrfToken("/login");
      const body = new URLSearchParams({
        email: "nobody@example.com",
        password: "Wrong-password-1",
        csrf,
      }).toString();
      const post = startSlowPost(
        `${baseUrl}/login`,
        {
          "content-type": "application/x-www-form-urlencoded",
          origin: baseUrl,
          cookie: client.cookieHeader(),
          connection: "close",
        },
        body,
      );
      // Let the request pass the throttle and wait in the action for the
      // rest of its body.
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      process.kill(-npm.pid!, "SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      post.sendRest();

      // The sign-in attempt is recorded in the database after Ctrl-C, so a
      // database that stopped first would turn it into a 500.
      const result = await post.response;
      expect(result.status, app.output()).toBe(400);
      expect(result.text).toContain("Email or password is incorrect.");
      expect(await app.exited).toBe(0);
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) {
        process.kill(-npm.pid!, "SIGKILL");
      }
    }
    expect(errorLogLines(app.output()), app.output()).toEqual([]);
    expect(app.output()).toContain('"event":"server.stopped"');
    expect(await postgresProcessesFor(dataDir)).toEqual([]);
  }, 180_000);
});

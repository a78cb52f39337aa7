// Runs the server as operators do, in a child process, for tests of
// start-up, shutdown and restarts.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";

import { generateEncryptionKey, generateSecret } from "./server";

/** Returns a TCP port of 127.0.0.1 that was free a moment ago. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A server process with its combined and its standard-error output. */
export type AppProcess = {
  child: ChildProcess;
  output: () => string;
  stderr: () => string;
  /** Resolves with the exit code, or null when a signal ended the process. */
  exited: Promise<number | null>;
};

/**
 * Spawns `command` (by default `node --import tsx server/main.ts`) with a
 * test configuration: NODE_ENV=test, LOG_LEVEL=warn, HOST=127.0.0.1 and
 * fresh secrets, overridden by `env`. Only PATH and HOME come from this
 * process's environment. With `detached`, the process leads a process
 * group of its own, as a terminal's foreground job does.
 */
export function spawnApp(
  env: Record<string, string>,
  options: { command?: string[]; detached?: boolean } = {},
): AppProcess {
  const [program, ...args] = options.command ?? [
    process.execPath,
    "--import",
    "tsx",
    "server/main.ts",
  ];
  const child = spawn(program!, args, {
    cwd: path.resolve("."),
    detached: options.detached ?? false,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      SESSION_SECRET: generateSecret(),
      TWO_FACTOR_ENCRYPTION_KEY: generateEncryptionKey(),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk;
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { child, output: () => output, stderr: () => stderr, exited };
}

/** Waits until GET /healthz on `baseUrl` succeeds, or throws with the output. */
export async function waitForHealth(
  app: AppProcess,
  baseUrl: string,
): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (app.child.exitCode !== null || app.child.signalCode !== null) {
      throw new Error(
        `The server process exited with ${app.child.exitCode ?? app.child.signalCode}:\n${app.output()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      app.child.kill("SIGKILL");
      throw new Error(`/healthz did not succeed within 90 s:\n${app.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Spawns server/main.ts on `port` (by default a free one) with APP_ORIGIN
 * set to it, and waits until it is healthy. Returns the process and its
 * base URL. Restarting on the same port keeps APP_ORIGIN, so a TestClient's
 * cookies and forms stay valid for the next process.
 */
export async function startApp(
  env: Record<string, string>,
  port?: number,
): Promise<AppProcess & { baseUrl: string }> {
  port ??= await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const app = spawnApp({ APP_ORIGIN: baseUrl, ...env, PORT: String(port) });
  await waitForHealth(app, baseUrl);
  return { ...app, baseUrl };
}

/** Sends SIGTERM unless the process has exited, and returns its exit code. */
export async function stopApp(app: AppProcess): Promise<number | null> {
  if (app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill("SIGTERM");
  }
  return app.exited;
}

/**
 * Starts `count` server processes with the same `env` in parallel. When one
 * fails to start, stops the others before rethrowing, so no server process
 * outlives the test.
 */
export async function startApps(
  count: number,
  env: Record<string, string>,
): Promise<(AppProcess & { baseUrl: string })[]> {
  const results = await Promise.allSettled(
    Array.from({ length: count }, () => startApp(env)),
  );
  const started = results.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  const failure = results.find((result) => result.status === "rejected");
  if (failure) {
    await Promise.all(started.map(stopApp));
    throw failure.reason;
  }
  return started;
}

import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { ServerBuild } from "@remix-run/node";

import type { Env } from "~/utils/env.server";
import { initEnv } from "~/utils/env.server";

import { createTestDatabase } from "./database";

/** A 64-character random secret, as production requires. */
export function generateSecret(): string {
  return randomBytes(48).toString("base64");
}

export type TestServer = {
  baseUrl: string;
  databaseUrl: string;
  env: Env;
  close: () => Promise<void>;
};

/**
 * Starts the real Express pipeline and Remix build on a random port of
 * 127.0.0.1, backed by a fresh database. Call once per test file: the
 * configuration and database client are process-wide.
 */
export async function startTestServer(
  overrides: Record<string, string> = {},
): Promise<TestServer> {
  const databaseUrl = overrides.DATABASE_URL ?? (await createTestDatabase());
  const env = initEnv({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    SESSION_SECRET: generateSecret(),
    HOST: "127.0.0.1",
    PORT: "0",
    ...overrides,
    DATABASE_URL: databaseUrl,
  });

  const buildPath = path.resolve("build/server/index.js");
  const build = (await import(
    /* @vite-ignore */ pathToFileURL(buildPath).href
  )) as ServerBuild;
  const { createApp } = await import("../../server/app");
  const { prisma } = await import("~/utils/db.server");

  const app = createApp({ env, build });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  // Links and the Origin check use APP_ORIGIN, known only once listening.
  if (!overrides.APP_ORIGIN) env.APP_ORIGIN = baseUrl;

  return {
    baseUrl,
    databaseUrl,
    env,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await prisma.$disconnect();
    },
  };
}

import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { ServerBuild } from "@remix-run/node";

import type { Env } from "~/utils/env.server";
import { initEnv } from "~/utils/env.server";

import { createTestDatabase } from "./database";

/** Generates a 64-character random secret, as production requires. */
export function generateSecret(): string {
  return randomBytes(48).toString("base64");
}

/** Generates a 32-byte key in base64, the format of TWO_FACTOR_ENCRYPTION_KEY. */
export function generateEncryptionKey(): string {
  return randomBytes(32).toString("base64");
}

/**
 * Throttle and lockout limits far above what a test file sends from
 * 127.0.0.1, so only tests that set lower limits on purpose are throttled.
 */
export const RELAXED_LIMITS: Record<string, string> = {
  THROTTLE_GLOBAL_LIMIT: "1000000",
  THROTTLE_AUTH_LIMIT: "1000000",
  THROTTLE_PASSWORD_RESET_LIMIT: "1000000",
  THROTTLE_VERIFICATION_RESEND_LIMIT: "1000000",
  THROTTLE_CHECKOUT_LIMIT: "1000000",
  THROTTLE_IMPORT_UPLOAD_LIMIT: "1000000",
  LOCKOUT_THRESHOLD: "1000000",
  LOCKOUT_HOURLY_FAILURE_LIMIT: "1000000",
  LOCKOUT_IP_ACCOUNT_LIMIT: "1000000",
};

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
    TWO_FACTOR_ENCRYPTION_KEY: generateEncryptionKey(),
    HOST: "127.0.0.1",
    PORT: "0",
    ...RELAXED_LIMITS,
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

/** The public origin production-mode test servers are configured with. */
export const PRODUCTION_ORIGIN = "https://dokodo.test";

/**
 * Starts the app configured as in production: NODE_ENV=production, Secure
 * `__Host-` cookies, APP_ORIGIN=https://dokodo.test and one trusted proxy
 * hop, on a random port of 127.0.0.1. The configuration passes the real
 * production validation with placeholder DATABASE_URL and SMTP_URL values.
 * After parsing, DATABASE_URL points at a plain-TCP test database (or
 * `databaseUrl`) and SMTP_URL is cleared, so emails go to the log. Requests
 * act as the TLS proxy would, so forms need Origin: https://dokodo.test.
 */
export async function startProductionTestServer(
  options: { overrides?: Record<string, string>; databaseUrl?: string } = {},
): Promise<TestServer> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const env = initEnv({
    NODE_ENV: "production",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    SESSION_SECRET: generateSecret(),
    TWO_FACTOR_ENCRYPTION_KEY: generateEncryptionKey(),
    HOST: "127.0.0.1",
    PORT: "0",
    APP_ORIGIN: PRODUCTION_ORIGIN,
    COOKIE_SECURE: "true",
    TRUST_PROXY: "1",
    DATABASE_URL: "postgresql://dokodo@db.invalid:5432/dokodo?sslmode=require",
    SMTP_URL: "smtps://dokodo:unused@smtp.invalid:465",
    ...RELAXED_LIMITS,
    ...options.overrides,
  });
  env.DATABASE_URL = databaseUrl;
  env.SMTP_URL = undefined;

  const buildPath = path.resolve("build/server/index.js");
  const build = (await import(
    /* @vite-ignore */ pathToFileURL(buildPath).href
  )) as ServerBuild;
  const { createApp } = await import("../../server/app");
  const { prisma } = await import("~/utils/db.server");

  const server = await new Promise<import("node:http").Server>((resolve) => {
    const listening = createApp({ env, build }).listen(0, "127.0.0.1", () =>
      resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl,
    env,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await prisma.$disconnect();
    },
  };
}

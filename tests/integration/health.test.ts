import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listMigrationNames, runMigrations } from "../../server/database";
import { createTestDatabase } from "../support/database";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;

beforeAll(async () => {
  // An empty database: the server runs, but nothing is migrated yet.
  server = await startTestServer({
    DATABASE_URL: await createTestDatabase({ migrated: false }),
  });
});

afterAll(async () => {
  await server.close();
});

describe("health endpoints", () => {
  it("healthz answers while unmigrated", async () => {
    const response = await fetch(`${server.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("readyz turns ready after migrations", async () => {
    const before = await fetch(`${server.baseUrl}/readyz`);
    expect(before.status).toBe(503);
    expect(await listMigrationNames()).toContain("20261204000000_init");
    expect(await before.json()).toEqual({
      status: "unavailable",
      ready: false,
      reason: "migrations not applied",
      pending: await listMigrationNames(),
    });

    await runMigrations(server.databaseUrl);

    const after = await fetch(`${server.baseUrl}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: "ready" });
  });
});

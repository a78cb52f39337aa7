// Log lines of work that is not part of a request: they must carry no
// request ID and no connection internals.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startEmailWorker } from "~/modules/email/outbox.server";

import { STRONG_PASSWORD, TestClient } from "../support/client";
import { captureLogs } from "../support/logs";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let logLines: string[];

function parsedLines(): Record<string, unknown>[] {
  return logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits up to 10 s for a log line with `event`, and returns it. */
async function waitForEvent(event: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = parsedLines().find((entry) => entry.event === event);
    if (line) return line;
    if (Date.now() > deadline) {
      throw new Error(`No "${event}" line within 10 s:\n${logLines.join("")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  logLines = captureLogs({ requestIds: true });
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

describe("throttle pool error", () => {
  it("logs only message and code", async () => {
    // The request opens a throttle connection inside its log context.
    const page = await fetch(new URL("/login", server.baseUrl));
    await page.arrayBuffer();
    expect(page.status).toBe(200);

    const admin = new pg.Client({ connectionString: server.databaseUrl });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND query LIKE '%ThrottleCounter%'`,
      );
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }

    const line = await waitForEvent("throttle.pool_error");
    expect(line.level).toBe(50);
    expect(line.errorMessage).toBe(
      "terminating connection due to administrator command",
    );
    expect(line.errorCode).toBe("57P01");
    expect(line).not.toHaveProperty("err");
    expect(line).not.toHaveProperty("requestId");
    const raw = logLines.find((text) => text.includes("throttle.pool_error"));
    expect(raw).not.toContain("secretKey");
    expect(raw).not.toContain("processID");
  });
});

describe("email worker", () => {
  it("logs a request's wake-up without its ID", async () => {
    const stopWorker = startEmailWorker();
    try {
      // The first drain, which purges, runs outside any request. A wake-up
      // during it would only schedule the next drain from its context.
      await waitForEvent("email.purged");

      const client = new TestClient(server.baseUrl);
      const response = await client.postForm("/register", {
        name: "Context",
        email: "context@example.com",
        password: STRONG_PASSWORD,
      });
      expect(response.status).toBe(302);
      const requestId = response.headers.get("x-request-id");

      const request = parsedLines().find(
        (entry) =>
          entry.event === "http.request" &&
          entry.method === "POST" &&
          entry.path === "/register",
      );
      expect(request?.requestId).toBe(requestId);

      const sent = await waitForEvent("email.logged");
      expect(sent).not.toHaveProperty("requestId");
      const drained = await waitForEvent("email.drained");
      expect(drained).not.toHaveProperty("requestId");
    } finally {
      await stopWorker();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { expectSecurityHeaders } from "../support/security";
import type { TestServer } from "../support/server";
import { startProductionTestServer } from "../support/server";

// Nothing listens on port 1, so every query fails with a connection error
// whose message names the database host and port.
const UNREACHABLE_DATABASE = "postgresql://dokodo:secret@127.0.0.1:1/dokodo";

let server: TestServer;

beforeAll(async () => {
  server = await startProductionTestServer({
    databaseUrl: UNREACHABLE_DATABASE,
  });
});

afterAll(async () => {
  await server.close();
});

describe("error page when the database is down", () => {
  it("returns 503 with Retry-After and no details", async () => {
    // The request throttle queries the database first, and with a signed
    // session cookie the root loader would too. The module reads the
    // configuration on import, so it loads after start-up.
    const { sessionCookie } = await import("~/utils/session.server");
    const cookie = await sessionCookie.serialize("some-session-token");
    const response = await fetch(new URL("/login", server.baseUrl), {
      headers: { cookie, "x-forwarded-proto": "https" },
      redirect: "manual",
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expectSecurityHeaders(response);

    const body = await response.text();
    const requestId = response.headers.get("x-request-id");
    expect(body).toContain("Service temporarily unavailable");
    expect(body).toContain(
      "Dokodo cannot reach its database at the moment. Try again in a few seconds.",
    );
    expect(body).toContain(`Request ID: <code>${requestId}</code>`);
    expect(body).not.toContain("127.0.0.1:1");
    expect(body).not.toContain("ECONNREFUSED");
    expect(body).not.toMatch(/prisma/i);
    expect(body).not.toContain("secret");
    expect(body).not.toMatch(/\bat \S+ \(/);
    expect(body).not.toContain(process.cwd());
  });

  it("returns JSON 503 for API requests", async () => {
    const response = await fetch(
      new URL("/api/v1/no-such-endpoint", server.baseUrl),
      { headers: { "x-forwarded-proto": "https" } },
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      error:
        "Service temporarily unavailable: the database cannot be reached. Retry after the Retry-After header's seconds.",
      requestId: response.headers.get("x-request-id"),
    });
  });
});

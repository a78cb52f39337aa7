import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { ServerBuild } from "@remix-run/node";
import pg from "pg";
import type { Logger } from "pino";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";

import { clientAddressKey } from "~/modules/security/keys.server";
import {
  PURGE_LOCK_KEY,
  purgeExpiredSecurityRows,
} from "~/modules/security/purge.server";
import { normalizeRequestPath } from "~/modules/security/throttle-policies.server";
import {
  checkThrottle,
  enforceThrottle,
} from "~/modules/security/throttle.server";
import { prisma } from "~/utils/db.server";
import type { Env } from "~/utils/env.server";
import { ConfigError, parseEnv } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";

import { createApp } from "../../server/app";
import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import { startApps, stopApp } from "../support/app-process";
import { createTestDatabase } from "../support/database";
import type { TestServer } from "../support/server";
import { generateSecret, startTestServer } from "../support/server";

let server: TestServer;
let build: ServerBuild;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startTestServer({
    THROTTLE_PASSWORD_RESET_LIMIT: "5",
    THROTTLE_CHECKOUT_LIMIT: "2",
  });
  build = (await import(
    /* @vite-ignore */ pathToFileURL(path.resolve("build/server/index.js")).href
  )) as ServerBuild;
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  await prisma.$executeRaw`DELETE FROM "ThrottleCounter"`;
});

afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/**
 * Starts another Express app on the test database with some settings
 * changed, and returns its base URL. Counters are shared with every other
 * app on the database, as with several production instances.
 */
async function startApp(overrides: Partial<Env>): Promise<string> {
  const env: Env = { ...server.env, ...overrides };
  const listening = await new Promise<Server>((resolve) => {
    const instance = createApp({ env, build }).listen(0, "127.0.0.1", () =>
      resolve(instance),
    );
  });
  closers.push(async () => {
    listening.closeAllConnections();
    await new Promise<void>((resolve) => listening.close(() => resolve()));
  });
  const { port } = listening.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** POSTs an empty form with the Origin of APP_ORIGIN, as the site's pages do. */
function postForm(
  baseUrl: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  // Concatenated, not resolved, so "//login" stays a path.
  return fetch(`${baseUrl}${pathname}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: server.env.APP_ORIGIN,
      ...headers,
    },
    body: "",
  });
}

function get(
  baseUrl: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(new URL(pathname, baseUrl), { redirect: "manual", headers });
}

function randomIPv4(): string {
  return [...randomBytes(4)].join(".");
}

describe("throttle limits", () => {
  it("rejects the request after the limit", async () => {
    const baseUrl = await startApp({ THROTTLE_GLOBAL_LIMIT: 3 });

    for (let index = 1; index <= 3; index += 1) {
      const response = await get(baseUrl, "/login");
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit-policy")).toBe(
        '"global";q=3;w=60',
      );
      expect(response.headers.get("ratelimit")).toMatch(
        new RegExp(`^"global";r=${3 - index};t=(59|60)$`),
      );
      expect(response.headers.get("retry-after")).toBeNull();
    }

    const rejected = await get(baseUrl, "/login");
    expect(rejected.status).toBe(429);
    const retryAfter = Number(rejected.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(rejected.headers.get("ratelimit-policy")).toBe('"global";q=3;w=60');
    expect(rejected.headers.get("ratelimit")).toBe(
      `"global";r=0;t=${retryAfter}`,
    );
    expect(rejected.headers.get("cache-control")).toBe("no-store");
    expect(rejected.headers.get("content-type")).toMatch(/^text\/html/);
    const body = await rejected.text();
    expect(body).toContain("Too many requests");
    expect(body).toContain(rejected.headers.get("x-request-id")!);
  });

  it("answers /api/v1 rejections with JSON", async () => {
    const baseUrl = await startApp({ THROTTLE_GLOBAL_LIMIT: 1 });
    const allowed = await get(baseUrl, "/api/v1/no-such-endpoint");
    await allowed.arrayBuffer();
    expect(allowed.status).toBe(404);

    const rejected = await get(baseUrl, "/api/v1/no-such-endpoint");
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await rejected.json()) as Record<string, unknown>;
    expect(body).toEqual({
      error: expect.stringContaining("Too many requests"),
      retryAfter: Number(rejected.headers.get("retry-after")),
      requestId: rejected.headers.get("x-request-id"),
    });
  });

  it("starts a new window after it ends", async () => {
    const baseUrl = await startApp({
      THROTTLE_GLOBAL_LIMIT: 2,
      THROTTLE_GLOBAL_WINDOW_SECONDS: 2,
    });
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await get(baseUrl, "/api/v1/ping");
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([404, 404, 429]);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const next = await get(baseUrl, "/api/v1/ping");
    await next.arrayBuffer();
    expect(next.status).toBe(404);
    expect(next.headers.get("ratelimit")).toBe('"global";r=1;t=2');
  });

  it("starts a new window when the stored one has ended", async () => {
    const baseUrl = await startApp({ THROTTLE_GLOBAL_LIMIT: 1 });
    await (await get(baseUrl, "/api/v1/ping")).arrayBuffer();
    const rejected = await get(baseUrl, "/api/v1/ping");
    await rejected.arrayBuffer();
    expect(rejected.status).toBe(429);

    await prisma.$executeRaw`
      UPDATE "ThrottleCounter" SET "resetAt" = now() - interval '1 second'`;
    const allowed = await get(baseUrl, "/api/v1/ping");
    await allowed.arrayBuffer();
    expect(allowed.status).toBe(404);
    const row = await prisma.throttleCounter.findUniqueOrThrow({
      where: { policy_key: { policy: "global", key: "127.0.0.1" } },
    });
    expect(row.count).toBe(1);
  });

  it("accepts exactly 10 of 100 parallel sign-ins", async () => {
    const baseUrl = await startApp({ THROTTLE_AUTH_LIMIT: 10 });
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => postForm(baseUrl, "/login")),
    );
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    const statuses = responses.map((response) => response.status);

    expect(statuses.filter((status) => status === 429)).toHaveLength(90);
    // The ten admitted requests reach the action, which rejects the
    // missing CSRF token.
    expect(statuses.filter((status) => status === 403)).toHaveLength(10);
    const row = await prisma.throttleCounter.findUniqueOrThrow({
      where: { policy_key: { policy: "auth", key: "127.0.0.1" } },
    });
    expect(row.count).toBe(100);
  });

  it("counts both policies on a sign-in", async () => {
    const baseUrl = await startApp({ THROTTLE_AUTH_LIMIT: 5 });
    const response = await postForm(baseUrl, "/login");
    await response.arrayBuffer();
    expect(response.headers.get("ratelimit-policy")).toBe(
      '"auth";q=5;w=60, "global";q=1000000;w=60',
    );
    expect(response.headers.get("ratelimit")).toMatch(
      /^"auth";r=4;t=60, "global";r=999999;t=60$/,
    );
  });

  it("counts path variants of /login as sign-ins", async () => {
    const baseUrl = await startApp({ THROTTLE_AUTH_LIMIT: 4 });
    for (const variant of ["/LOGIN", "/login/", "//login", "/login.data"]) {
      const response = await postForm(baseUrl, variant);
      await response.arrayBuffer();
      expect(response.status, variant).not.toBe(429);
      expect(response.headers.get("ratelimit-policy"), variant).toContain(
        '"auth";q=4',
      );
    }
    const rejected = await postForm(baseUrl, "/login?index");
    await rejected.arrayBuffer();
    expect(rejected.status).toBe(429);
  });

  it("keeps limits across app instances", async () => {
    const first = await startApp({ THROTTLE_GLOBAL_LIMIT: 4 });
    const second = await startApp({ THROTTLE_GLOBAL_LIMIT: 4 });
    const statuses: number[] = [];
    for (const baseUrl of [first, second, first, second, first, second]) {
      const response = await get(baseUrl, "/api/v1/ping");
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 429, 429]);
  });
});

describe("throttle exemptions", () => {
  it("never counts static files and health checks", async () => {
    const baseUrl = await startApp({ THROTTLE_GLOBAL_LIMIT: 1 });
    // Listed now rather than taken from the imported build, because a
    // rebuild replaces the hashed files under public/build.
    const builtFile = readdirSync(path.resolve("public/build")).find((name) =>
      name.endsWith(".js"),
    );
    expect(builtFile).toBeDefined();
    const assets = ["/favicon.svg", `/build/${builtFile}`, "/healthz"];
    for (let index = 0; index < 3; index += 1) {
      for (const pathname of assets) {
        const response = await get(baseUrl, pathname);
        await response.arrayBuffer();
        expect(response.status, pathname).toBe(200);
        expect(response.headers.get("ratelimit"), pathname).toBeNull();
      }
    }
    expect(await prisma.throttleCounter.count()).toBe(0);
  });

  it("still counts missing files under /build", async () => {
    const baseUrl = await startApp({ THROTTLE_GLOBAL_LIMIT: 1 });
    await (await get(baseUrl, "/build/missing.js")).arrayBuffer();
    const rejected = await get(baseUrl, "/build/missing.js");
    await rejected.arrayBuffer();
    expect(rejected.status).toBe(429);
  });

  it("never throttles the Stripe webhook", async () => {
    const baseUrl = await startApp({ THROTTLE_GLOBAL_LIMIT: 1 });
    for (let index = 0; index < 5; index += 1) {
      const response = await fetch(
        new URL("/api/v1/payments/webhooks/stripe", baseUrl),
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        },
      );
      await response.arrayBuffer();
      expect(response.status).not.toBe(429);
      expect(response.headers.get("ratelimit")).toBeNull();
      expect(response.headers.get("ratelimit-policy")).toBeNull();
    }
    expect(await prisma.throttleCounter.count()).toBe(0);
  });
});

describe("client address", () => {
  it("ignores X-Forwarded-For with TRUST_PROXY=0", async () => {
    const baseUrl = await startApp({
      THROTTLE_GLOBAL_LIMIT: 3,
      TRUST_PROXY: 0,
    });
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      const response = await get(baseUrl, "/api/v1/ping", {
        "x-forwarded-for": randomIPv4(),
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    const keys = await prisma.throttleCounter.findMany({
      select: { key: true },
    });
    expect(keys).toEqual([{ key: "127.0.0.1" }]);
  });

  it("keys on the right-most untrusted hop with TRUST_PROXY=1", async () => {
    const baseUrl = await startApp({
      THROTTLE_GLOBAL_LIMIT: 3,
      TRUST_PROXY: 1,
    });
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      const response = await get(baseUrl, "/api/v1/ping", {
        // The left entries are whatever the client claims; the proxy
        // appends the address it saw, which is the only trusted one.
        "x-forwarded-for": `${randomIPv4()}, ${randomIPv4()}, 203.0.113.9`,
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);

    const other = await get(baseUrl, "/api/v1/ping", {
      "x-forwarded-for": "203.0.113.9, 198.51.100.4",
    });
    await other.arrayBuffer();
    expect(other.status).toBe(404);

    const keys = await prisma.throttleCounter.findMany({
      select: { key: true },
      orderBy: { key: "asc" },
    });
    expect(keys).toEqual([{ key: "198.51.100.4" }, { key: "203.0.113.9" }]);
  });

  it("keys IPv6 clients on their /64", async () => {
    const baseUrl = await startApp({
      THROTTLE_GLOBAL_LIMIT: 2,
      TRUST_PROXY: 1,
    });
    const statuses: number[] = [];
    for (const address of ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"]) {
      const response = await get(baseUrl, "/api/v1/ping", {
        "x-forwarded-for": address,
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    const third = await get(baseUrl, "/api/v1/ping", {
      "x-forwarded-for": "2001:db8:1:2:abcd:1:2:3",
    });
    await third.arrayBuffer();
    statuses.push(third.status);
    expect(statuses).toEqual([404, 404, 429]);
  });

  it("derives address keys", () => {
    const cases: [string | undefined, string][] = [
      ["203.0.113.9", "203.0.113.9"],
      ["::ffff:203.0.113.9", "203.0.113.9"],
      ["::FFFF:10.0.0.1", "10.0.0.1"],
      ["2001:db8::1", "2001:db8:0:0::/64"],
      ["2001:0DB8:0001:0002:0003:0004:0005:0006", "2001:db8:1:2::/64"],
      ["fe80::1%eth0", "fe80:0:0:0::/64"],
      ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
      ["::1", "0:0:0:0::/64"],
      [undefined, "unknown"],
      ["not an address", "not an address"],
    ];
    for (const [address, expected] of cases) {
      expect(clientAddressKey(address), String(address)).toBe(expected);
    }
  });

  it("normalizes request paths", () => {
    const cases: [string, string][] = [
      ["/login", "/login"],
      ["/LOGIN/", "/login"],
      ["//login//", "/login"],
      ["/login.data", "/login"],
      ["/_root.data", "/"],
      ["/%6Cogin", "/login"],
      ["/%E0%A4%A", "/%e0%a4%a"],
      ["/", "/"],
    ];
    for (const [input, expected] of cases) {
      expect(normalizeRequestPath(input), input).toBe(expected);
    }
  });
});

describe("action-checked policies", () => {
  let pinoLogger: Logger;

  beforeAll(() => {
    // The logger is a lazy proxy; reading a property creates the instance.
    void logger.level;
    const singletons = (
      globalThis as { __dokodoSingletons?: Map<string, unknown> }
    ).__dokodoSingletons!;
    pinoLogger = singletons.get("logger") as Logger;
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("limits password resets per email", async () => {
    const warn = vi.spyOn(pinoLogger, "warn");
    const outcomes: boolean[] = [];
    for (let index = 0; index < 6; index += 1) {
      const email =
        index % 2 === 0 ? "Reset@Example.com " : "reset@example.com";
      outcomes.push(
        (await checkThrottle("password-reset-email", email)).allowed,
      );
    }
    expect(outcomes).toEqual([true, true, true, true, true, false]);
    const other = await checkThrottle(
      "password-reset-email",
      "other@example.com",
    );
    expect(other.allowed).toBe(true);

    const digest = createHash("sha256")
      .update("reset@example.com")
      .digest("hex");
    const stored = await prisma.throttleCounter.findMany({
      where: { policy: "password-reset-email" },
      select: { key: true },
    });
    expect(stored).toContainEqual({ key: digest });

    const rejections = warn.mock.calls.filter(
      ([fields]) =>
        (fields as { event?: string }).event === "throttle.rejected",
    );
    expect(rejections).toHaveLength(1);
    expect(rejections[0]![0]).toMatchObject({
      policy: "password-reset-email",
      keyType: "email",
      key: `sha256:${digest.slice(0, 16)}`,
    });
    expect(JSON.stringify(warn.mock.calls)).not.toContain("example.com");
  });

  it("throws a JSON 429 for checkout", async () => {
    const request = new Request(
      "http://localhost/api/v1/payments/checkout-sessions",
      { method: "POST" },
    );
    const context = { requestId: "request-1" };
    const headers = await enforceThrottle(
      "checkout",
      "user-1",
      request,
      context,
    );
    expect(headers.get("ratelimit-policy")).toBe('"checkout";q=2;w=60');
    expect(headers.get("ratelimit")).toBe('"checkout";r=1;t=60');
    await enforceThrottle("checkout", "user-1", request, context);

    const thrown = await enforceThrottle(
      "checkout",
      "user-1",
      request,
      context,
    ).then(
      () => null,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(Response);
    const response = thrown as Response;
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(response.headers.get("ratelimit")).toBe('"checkout";r=0;t=60');
    expect(await response.json()).toEqual({
      error: "Too many requests. Try again in 60 seconds.",
      retryAfter: 60,
      requestId: "request-1",
    });

    const otherUser = await checkThrottle("checkout", "user-2");
    expect(otherUser.allowed).toBe(true);
  });
});

describe("purge", () => {
  it("deletes only stale rows", async () => {
    await prisma.$executeRaw`
      INSERT INTO "ThrottleCounter" ("policy", "key", "count", "resetAt")
      VALUES ('global', 'stale', 3, now() - interval '1 second'),
             ('global', 'live', 3, now() + interval '1 minute')`;
    await prisma.$executeRaw`
      INSERT INTO "SignInLockout" ("emailHash", "consecutiveFailures",
        "hourStartedAt", "hourFailures", "lockedUntil", "lastFailureAt")
      VALUES ('old', 2, now() - interval '2 days', 2, NULL,
                now() - interval '2 days'),
             ('old-but-locked', 9, now() - interval '2 days', 9,
                now() + interval '1 minute', now() - interval '2 days'),
             ('recent', 2, now(), 2, NULL, now())`;
    await prisma.$executeRaw`
      INSERT INTO "SignInIpBlock" ("ip", "windowEndsAt", "emailHashes",
        "blockedUntil")
      VALUES ('192.0.2.1', now() - interval '1 second', ARRAY['a'], NULL),
             ('192.0.2.2', now() - interval '1 second', ARRAY['a'],
                now() + interval '1 minute')`;

    const result = await purgeExpiredSecurityRows();
    expect(result).toEqual({
      throttleCounters: 1,
      signInLockouts: 1,
      signInIpBlocks: 1,
    });
    const counters = await prisma.throttleCounter.findMany();
    expect(counters.map((row) => row.key)).toEqual(["live"]);
    const lockouts = await prisma.signInLockout.findMany({
      orderBy: { emailHash: "asc" },
    });
    expect(lockouts.map((row) => row.emailHash)).toEqual([
      "old-but-locked",
      "recent",
    ]);
    const blocks = await prisma.signInIpBlock.findMany();
    expect(blocks.map((row) => row.ip)).toEqual(["192.0.2.2"]);
  });

  it("skips while another instance holds the lock", async () => {
    await prisma.$executeRaw`
      INSERT INTO "ThrottleCounter" ("policy", "key", "count", "resetAt")
      VALUES ('global', 'stale', 3, now() - interval '1 second')`;
    const other = new pg.Client({ connectionString: server.databaseUrl });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock($1::bigint)", [
        PURGE_LOCK_KEY.toString(),
      ]);
      expect(await purgeExpiredSecurityRows()).toBeNull();
      expect(await prisma.throttleCounter.count()).toBe(1);

      await other.query("SELECT pg_advisory_unlock($1::bigint)", [
        PURGE_LOCK_KEY.toString(),
      ]);
      expect(await purgeExpiredSecurityRows()).toMatchObject({
        throttleCounters: 1,
      });
    } finally {
      await other.end();
    }
  });
});

describe("configuration", () => {
  it("rejects limits out of range", () => {
    let problems: string[] = [];
    try {
      parseEnv({
        THROTTLE_AUTH_LIMIT: "0",
        THROTTLE_GLOBAL_WINDOW_SECONDS: "86401",
        LOCKOUT_THRESHOLD: "five",
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      "THROTTLE_GLOBAL_WINDOW_SECONDS: must be a whole number from 1 to 86400",
      "THROTTLE_AUTH_LIMIT: must be a whole number from 1 to 1000000",
      "LOCKOUT_THRESHOLD: must be a whole number from 1 to 1000000",
    ]);
  });

  it("defaults to the documented limits", () => {
    const env = parseEnv({});
    expect(env.THROTTLE_GLOBAL_LIMIT).toBe(300);
    expect(env.THROTTLE_AUTH_LIMIT).toBe(10);
    expect(env.THROTTLE_PASSWORD_RESET_LIMIT).toBe(5);
    expect(env.THROTTLE_PASSWORD_RESET_WINDOW_SECONDS).toBe(900);
    expect(env.THROTTLE_VERIFICATION_RESEND_LIMIT).toBe(3);
    expect(env.THROTTLE_CHECKOUT_LIMIT).toBe(10);
    expect(env.THROTTLE_IMPORT_UPLOAD_LIMIT).toBe(10);
    expect(env.THROTTLE_IMPORT_UPLOAD_WINDOW_SECONDS).toBe(600);
    expect(env.LOCKOUT_THRESHOLD).toBe(5);
    expect(env.LOCKOUT_BASE_DELAY_SECONDS).toBe(30);
    expect(env.LOCKOUT_MAX_DELAY_SECONDS).toBe(900);
  });
});

describe("separate processes", () => {
  it("share one limit across two servers", async () => {
    const databaseUrl = await createTestDatabase();
    const env = {
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl,
      SESSION_SECRET: generateSecret(),
      THROTTLE_GLOBAL_LIMIT: "10",
    };
    const apps = await startApps(2, env);
    try {
      const responses = await Promise.all(
        apps.flatMap((app) =>
          Array.from({ length: 6 }, () => get(app.baseUrl, "/login")),
        ),
      );
      await Promise.all(responses.map((response) => response.arrayBuffer()));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 429)).toHaveLength(2);
      expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    } finally {
      await Promise.all(apps.map(stopApp));
    }
  }, 180_000);

  it("share one sign-in lockout across two servers", async () => {
    const databaseUrl = await createTestDatabase();
    const env = {
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl,
      SESSION_SECRET: generateSecret(),
      THROTTLE_AUTH_LIMIT: "100",
      LOCKOUT_THRESHOLD: "5",
    };
    const apps = await startApps(2, env);
    const database = new pg.Client({ connectionString: databaseUrl });
    try {
      const email = "shared-lock@example.com";
      await registerAccount(apps[0]!.baseUrl, { email });

      // Five failures, alternating between the servers, lock the account.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const client = new TestClient(apps[attempt % 2]!.baseUrl);
        const response = await client.postForm("/login", {
          email,
          password: "Wrong-password-1",
        });
        await response.arrayBuffer();
        expect(response.status).toBe(400);
      }
      await database.connect();
      const { rows } = await database.query<{
        consecutiveFailures: number;
        lockedUntil: Date | null;
      }>(
        `SELECT "consecutiveFailures", "lockedUntil" FROM "SignInLockout"
         WHERE "emailHash" = $1`,
        [createHash("sha256").update(email).digest("hex")],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.consecutiveFailures).toBe(5);
      expect(rows[0]!.lockedUntil!.getTime()).toBeGreaterThan(Date.now());

      // The right password on the other server is refused during the lock.
      const client = new TestClient(apps[1]!.baseUrl);
      const locked = await client.postForm("/login", {
        email,
        password: STRONG_PASSWORD,
      });
      expect(locked.status).toBe(400);
      expect(await locked.text()).toContain("Email or password is incorrect.");
      expect(client.getCookie("dokodo_session")).toBeUndefined();
    } finally {
      await database.end().catch(() => undefined);
      await Promise.all(apps.map(stopApp));
    }
  }, 180_000);
});

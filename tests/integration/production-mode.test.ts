import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { ServerBuild } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { STRONG_PASSWORD, TestClient } from "../support/client";
import {
  expectSecurityHeaders,
  parseCsp,
  rawRequest,
} from "../support/security";
import { withTableMissing } from "../support/database";
import type { TestServer } from "../support/server";
import {
  PRODUCTION_ORIGIN,
  startProductionTestServer,
} from "../support/server";

const FORGED_HOST = "evil.example";

let server: TestServer;

beforeAll(async () => {
  server = await startProductionTestServer();
});

afterAll(async () => {
  await server.close();
});

/** Sends a request as the TLS-terminating proxy forwards it. */
function viaProxy(
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(new URL(path, server.baseUrl), {
    ...init,
    headers: { "x-forwarded-proto": "https", ...init.headers },
    redirect: "manual",
  });
}

function expectProductionHeaders(response: Response): void {
  expectSecurityHeaders(response);
  expect(response.headers.get("strict-transport-security")).toBe(
    "max-age=31536000; includeSubDomains",
  );
  const csp = parseCsp(response.headers.get("content-security-policy"));
  expect(csp.get("upgrade-insecure-requests")).toEqual([]);
}

describe("production headers", () => {
  it("page", async () => {
    const response = await viaProxy("/login");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectProductionHeaders(response);
  });

  it("404 page", async () => {
    const response = await viaProxy("/no-such-page");
    expect(response.status).toBe(404);
    expectProductionHeaders(response);
  });

  it("resource route", async () => {
    const response = await viaProxy("/api/v1/csp-report");
    expect(response.status).toBe(405);
    expectProductionHeaders(response);
  });

  it("static asset", async () => {
    const response = await viaProxy("/favicon.svg");
    expect(response.status).toBe(200);
    expectProductionHeaders(response);
  });

  it("lists a configured photo origin in img-src", async () => {
    const build = (await import(
      /* @vite-ignore */ pathToFileURL(path.resolve("build/server/index.js"))
        .href
    )) as ServerBuild;
    const { createApp } = await import("../../server/app");
    const photos = createApp({
      env: { ...server.env, PHOTO_STORAGE_ORIGIN: "https://photos.example" },
      build,
    });
    const listening = await new Promise<Server>((resolve) => {
      const instance = photos.listen(0, "127.0.0.1", () => resolve(instance));
    });
    try {
      const { port } = listening.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/favicon.svg`);
      const csp = parseCsp(response.headers.get("content-security-policy"));
      expect(csp.get("img-src")).toEqual([
        "'self'",
        "data:",
        "blob:",
        "https://photos.example",
      ]);
    } finally {
      listening.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});

describe("production cookies", () => {
  it("CSRF cookie is __Host-, Secure, HttpOnly, Lax", async () => {
    const response = await viaProxy("/login");
    const cookie = response.headers
      .getSetCookie()
      .find((header) => header.startsWith("__Host-dokodo_csrf="));
    expect(cookie).toBeDefined();
    const attributes = cookie!.split(";").map((part) => part.trim());
    expect(attributes).toContain("Path=/");
    expect(attributes).toContain("HttpOnly");
    expect(attributes).toContain("Secure");
    expect(attributes).toContain("SameSite=Lax");
    expect(cookie).not.toMatch(/domain=/i);
  });

  it("session cookie is __Host-, Secure, HttpOnly, Lax", async () => {
    const client = new TestClient(server.baseUrl);
    const proxy = { "x-forwarded-proto": "https" };
    const registered = await client.postForm(
      "/register",
      {
        name: "Prod User",
        email: "prod@example.com",
        password: STRONG_PASSWORD,
      },
      { origin: PRODUCTION_ORIGIN, headers: proxy },
    );
    expect(registered.status).toBe(302);
    const signedIn = await client.postForm(
      "/login",
      { email: "prod@example.com", password: STRONG_PASSWORD },
      { origin: PRODUCTION_ORIGIN, headers: proxy },
    );
    expect(signedIn.status).toBe(302);

    const cookie = signedIn.headers
      .getSetCookie()
      .find((header) => header.startsWith("__Host-dokodo_session="));
    expect(cookie).toBeDefined();
    const attributes = cookie!.split(";").map((part) => part.trim());
    expect(attributes).toContain("Path=/");
    expect(attributes).toContain("HttpOnly");
    expect(attributes).toContain("Secure");
    expect(attributes).toContain("SameSite=Lax");
    expect(cookie).not.toMatch(/domain=/i);
    expect(signedIn.headers.get("strict-transport-security")).toBe(
      "max-age=31536000; includeSubDomains",
    );
  });

  it("rejects the test client's own origin", async () => {
    // APP_ORIGIN is https://dokodo.test, so the listening address is foreign.
    const response = await new TestClient(server.baseUrl).postForm(
      "/login",
      { email: "prod@example.com", password: STRONG_PASSWORD },
      { headers: { "x-forwarded-proto": "https" } },
    );
    expect(response.status).toBe(403);
  });
});

describe("HTTPS redirect", () => {
  it("sends plain-HTTP GETs to APP_ORIGIN with 301", async () => {
    const response = await rawRequest(server.baseUrl, "/items?q=drill", {
      headers: {
        "x-forwarded-proto": "http",
        host: FORGED_HOST,
        "x-forwarded-host": FORGED_HOST,
      },
    });
    expect(response.status).toBe(301);
    expect(response.headers.location).toBe(
      `${PRODUCTION_ORIGIN}/items?q=drill`,
    );
  });

  it("keeps the method of plain-HTTP POSTs with 308", async () => {
    const response = await rawRequest(server.baseUrl, "/login", {
      method: "POST",
      headers: {
        "x-forwarded-proto": "http",
        host: FORGED_HOST,
        origin: PRODUCTION_ORIGIN,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "email=x",
    });
    expect(response.status).toBe(308);
    expect(response.headers.location).toBe(`${PRODUCTION_ORIGIN}/login`);
  });

  it("uses the start page for an absolute-form target", async () => {
    const response = await rawRequest(
      server.baseUrl,
      `http://${FORGED_HOST}/items`,
      { headers: { "x-forwarded-proto": "http" } },
    );
    expect(response.status).toBe(301);
    expect(response.headers.location).toBe(`${PRODUCTION_ORIGIN}/`);
  });

  it("passes HTTPS and requests without the header", async () => {
    expect((await viaProxy("/login")).status).toBe(200);
    const direct = await fetch(new URL("/login", server.baseUrl), {
      redirect: "manual",
    });
    expect(direct.status).toBe(200);
  });

  it("passes health probes", async () => {
    const response = await rawRequest(server.baseUrl, "/healthz", {
      headers: { "x-forwarded-proto": "http" },
    });
    expect(response.status).toBe(200);
  });

  it("is off without a trusted proxy hop", async () => {
    const build = (await import(
      /* @vite-ignore */ pathToFileURL(path.resolve("build/server/index.js"))
        .href
    )) as ServerBuild;
    const { createApp } = await import("../../server/app");
    const direct = createApp({ env: { ...server.env, TRUST_PROXY: 0 }, build });
    const listening = await new Promise<Server>((resolve) => {
      const instance = direct.listen(0, "127.0.0.1", () => resolve(instance));
    });
    try {
      const { port } = listening.address() as AddressInfo;
      const response = await rawRequest(`http://127.0.0.1:${port}`, "/login", {
        headers: { "x-forwarded-proto": "http" },
      });
      expect(response.status).toBe(200);
    } finally {
      listening.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
    }
  });
});

describe("production errors", () => {
  it("show the request ID and no details", async () => {
    // With the Session table gone, reading the session fails inside Prisma
    // with a message that names the relation; none of it may reach the page.
    const { sessionCookie } = await import("~/utils/session.server");
    const cookie = await sessionCookie.serialize("some-session-token");
    const response = await withTableMissing("Session", () =>
      viaProxy("/login", { headers: { cookie } }),
    );
    expect(response.status).toBe(500);
    expectProductionHeaders(response);
    const body = await response.text();
    const requestId = response.headers.get("x-request-id");
    expect(body).toContain("Something went wrong");
    expect(body).toContain(`Request ID: <code>${requestId}</code>`);
    expect(body).not.toContain("Session");
    expect(body).not.toMatch(/relation|prisma|SELECT/i);
    expect(body).not.toMatch(/\bat \S+ \(/);
    expect(body).not.toContain(process.cwd());
    expect(body).not.toContain("node_modules");
  });

  it("answer API errors in JSON without details", async () => {
    const response = await viaProxy("/api/v1/csp-report", {
      method: "POST",
      headers: { "content-type": "application/csp-report" },
      body: "{",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "The body is not valid JSON.",
      requestId: response.headers.get("x-request-id"),
    });
  });
});

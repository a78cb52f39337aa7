import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestClient } from "../support/client";
import {
  registerAccount,
  TestClient as AnonymousClient,
} from "../support/client";
import {
  expectSecurityHeaders,
  nonceOf,
  parseCsp,
  scriptTags,
} from "../support/security";
import { withTableMissing } from "../support/database";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

const PARTNER_ORIGIN = "https://partner.example";

let server: TestServer;
let signedIn: TestClient;

beforeAll(async () => {
  server = await startTestServer({ CORS_ALLOWED_ORIGINS: PARTNER_ORIGIN });
  signedIn = await registerAccount(server.baseUrl, {
    email: "headers@example.com",
  });
});

afterAll(async () => {
  await server.close();
});

function get(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, server.baseUrl), { ...init, redirect: "manual" });
}

/** Asserts what differs outside production: no HSTS, no upgrade directive. */
function expectNoProductionOnlyHeaders(response: Response): void {
  expect(response.headers.get("strict-transport-security")).toBeNull();
  const csp = parseCsp(response.headers.get("content-security-policy"));
  expect(csp.has("upgrade-insecure-requests")).toBe(false);
}

describe("headers by response kind", () => {
  it("page for a visitor", async () => {
    const response = await get("/login");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(
      "text/html; charset=utf-8",
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
    expectNoProductionOnlyHeaders(response);
  });

  it("page for a signed-in user", async () => {
    const response = await signedIn.request("/items");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
  });

  it("single-fetch data request", async () => {
    const response = await signedIn.request("/items.data");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(
      "text/x-script; charset=utf-8",
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
  });

  it("resource route", async () => {
    const response = await get("/api/v1/csp-report");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
    expect(await response.json()).toEqual({
      error: "Method GET is not allowed here; use POST.",
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("error page", async () => {
    // Without the Item table the items page fails: an unexpected error.
    const response = await withTableMissing("Item", () =>
      signedIn.request("/items"),
    );
    expect(response.status).toBe(500);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
    const body = await response.text();
    expect(body).toContain("Something went wrong");
    expect(body).toContain(
      `Request ID: <code>${response.headers.get("x-request-id")}</code>`,
    );
  });

  it("404 page", async () => {
    const response = await get("/no-such-page");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe(
      "text/html; charset=utf-8",
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
    const body = await response.text();
    expect(body).toContain("Not found");
    expect(body).toContain(
      `Request ID: <code>${response.headers.get("x-request-id")}</code>`,
    );
  });

  it("404 for a missing build file", async () => {
    const response = await get("/build/no-such-file.js");
    expect(response.status).toBe(404);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
  });

  it("fingerprinted asset", async () => {
    const page = await (await get("/login")).text();
    const asset = page.match(/href="(\/build\/[^"]+\.js)"/)?.[1];
    expect(asset).toMatch(/^\/build\/.+-[A-Z0-9]{8}\.js$/);
    const response = await get(asset!);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe(
      "public, max-age=31536000, immutable",
    );
    expectSecurityHeaders(response);
  });

  it("static file outside /build", async () => {
    const response = await get("/favicon.svg");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    expectSecurityHeaders(response);
  });

  it("health check", async () => {
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
  });

  it("unknown API path answers JSON", async () => {
    const response = await get("/api/v1/no-such-endpoint");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe(
      "application/json; charset=utf-8",
    );
    expectSecurityHeaders(response);
    expect(await response.json()).toEqual({
      error: "No API endpoint at /api/v1/no-such-endpoint.",
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("rejected cross-site form", async () => {
    const response = await get("/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://evil.example",
      },
      body: "email=a%40example.com&password=x",
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expectSecurityHeaders(response);
  });
});

describe("CSP nonce", () => {
  it("differs per response and marks every script", async () => {
    const first = await get("/login");
    const second = await get("/login");
    const firstNonce = nonceOf(first);
    const secondNonce = nonceOf(second);
    expect(firstNonce).not.toBe(secondNonce);
    expect(Buffer.from(firstNonce, "base64")).toHaveLength(16);

    for (const [response, nonce] of [
      [first, firstNonce],
      [second, secondNonce],
    ] as const) {
      const tags = scriptTags(await response.text());
      // Remix's context script, the module script and scroll restoration
      // at least.
      expect(tags.length).toBeGreaterThanOrEqual(3);
      for (const tag of tags) {
        expect(tag).toContain(` nonce="${nonce}"`);
      }
    }
  });

  it("marks every script of a signed-in page", async () => {
    const response = await signedIn.request("/items");
    const nonce = nonceOf(response);
    const tags = scriptTags(await response.text());
    expect(tags.length).toBeGreaterThanOrEqual(3);
    for (const tag of tags) {
      expect(tag).toContain(` nonce="${nonce}"`);
    }
  });
});

describe("CSP report endpoint", () => {
  const legacyReport = JSON.stringify({
    "csp-report": {
      "document-uri": "http://127.0.0.1/login",
      "blocked-uri": "inline",
      "effective-directive": "script-src-elem",
      disposition: "enforce",
    },
  });
  const reportingApiReport = JSON.stringify([
    {
      type: "csp-violation",
      url: "http://127.0.0.1/login",
      body: {
        documentURL: "http://127.0.0.1/login",
        blockedURL: "inline",
        effectiveDirective: "script-src-elem",
        disposition: "enforce",
      },
    },
  ]);

  function postReport(
    body: BodyInit,
    contentType: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return get("/api/v1/csp-report", {
      method: "POST",
      headers: { "content-type": contentType, ...headers },
      body,
      duplex: "half",
    } as RequestInit);
  }

  it("accepts application/csp-report", async () => {
    const response = await postReport(legacyReport, "application/csp-report");
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });

  it("accepts application/reports+json", async () => {
    const response = await postReport(
      reportingApiReport,
      "application/reports+json",
    );
    expect(response.status).toBe(204);
  });

  it("accepts reports from any origin", async () => {
    const response = await postReport(legacyReport, "application/csp-report", {
      origin: "https://elsewhere.example",
      "sec-fetch-site": "cross-site",
    });
    expect(response.status).toBe(204);
  });

  it.each([
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
  ])("rejects %s with 415", async (contentType) => {
    const response = await postReport(legacyReport, contentType);
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: `Content-Type "${contentType}" is not supported; send application/csp-report or application/reports+json.`,
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("rejects invalid JSON with 400", async () => {
    const response = await postReport("{", "application/csp-report");
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe("The body is not valid JSON.");
  });

  it("rejects a body of the wrong shape with 400", async () => {
    const response = await postReport(
      reportingApiReport,
      "application/csp-report",
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe(
      "The body is not a application/csp-report report.",
    );
  });

  it("rejects a declared body over 16 KB with 413", async () => {
    const response = await postReport(
      JSON.stringify({ "csp-report": { padding: "x".repeat(16 * 1024) } }),
      "application/csp-report",
    );
    expect(response.status).toBe(413);
    expect((await response.json()).error).toBe(
      "The request body exceeds the limit of 16384 bytes.",
    );
  });

  it("rejects a streamed body over 16 KB with 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 8) {
          controller.close();
          return;
        }
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await postReport(stream, "application/csp-report");
    expect(response.status).toBe(413);
  });

  it.each(["PUT", "DELETE", "PATCH"])("rejects %s with 405", async (method) => {
    const response = await get("/api/v1/csp-report", {
      method,
      headers: { "content-type": "application/csp-report" },
      body: legacyReport,
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

describe("API CORS", () => {
  it("allows a listed origin with credentials", async () => {
    const response = await get("/api/v1/csp-report", {
      method: "OPTIONS",
      headers: {
        origin: PARTNER_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(
      PARTNER_ORIGIN,
    );
    expect(response.headers.get("access-control-allow-credentials")).toBe(
      "true",
    );
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "Content-Type",
    );
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("gives an unlisted origin no CORS headers", async () => {
    const preflight = await get("/api/v1/csp-report", {
      method: "OPTIONS",
      headers: {
        origin: "https://evil.example",
        "access-control-request-method": "POST",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(
      preflight.headers.get("access-control-allow-credentials"),
    ).toBeNull();

    const simple = await get("/api/v1/no-such-endpoint", {
      headers: { origin: "https://evil.example" },
    });
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("echoes a listed origin on API responses", async () => {
    const response = await get("/api/v1/no-such-endpoint", {
      headers: { origin: PARTNER_ORIGIN },
    });
    expect(response.headers.get("access-control-allow-origin")).toBe(
      PARTNER_ORIGIN,
    );
  });

  it("sends no CORS headers outside /api/v1", async () => {
    const response = await get("/login", {
      headers: { origin: PARTNER_ORIGIN },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets a listed origin pass the origin check", async () => {
    const listed = await get("/api/v1/no-such-endpoint", {
      method: "POST",
      headers: {
        origin: PARTNER_ORIGIN,
        "sec-fetch-site": "cross-site",
        "content-type": "application/json",
      },
      body: "{}",
    });
    expect(listed.status).toBe(404);

    const unlisted = await get("/api/v1/no-such-endpoint", {
      method: "POST",
      headers: {
        origin: "https://evil.example",
        "content-type": "application/json",
      },
      body: "{}",
    });
    expect(unlisted.status).toBe(403);
    expect(unlisted.headers.get("content-type")).toBe(
      "application/json; charset=utf-8",
    );
    expect(await unlisted.json()).toEqual({
      error:
        "Cross-site request rejected: send it from a page of this site or from an allowed origin.",
      requestId: unlisted.headers.get("x-request-id"),
    });
  });

  it("never allows a listed origin on page forms", async () => {
    const client = new AnonymousClient(server.baseUrl);
    const response = await client.postForm(
      "/login",
      { email: "headers@example.com", password: "whatever" },
      { origin: PARTNER_ORIGIN },
    );
    expect(response.status).toBe(403);
  });
});

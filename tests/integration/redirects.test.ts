import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import { rawRequest } from "../support/security";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { TestSmtpServer } from "../support/smtp";
import { createSmtpServer } from "../support/smtp";

const EMAIL = "redirects@example.com";
const FORGED_HOST = "evil.example";

let server: TestServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await createSmtpServer();
  await smtp.start();
  server = await startTestServer({
    // One trusted proxy hop, so Express would honour X-Forwarded-Host: the
    // case where a forged header could reach links.
    TRUST_PROXY: "1",
    SMTP_URL: smtp.url,
  });
  await registerAccount(server.baseUrl, { email: EMAIL });
});

afterAll(async () => {
  await server.close();
  await smtp.stop();
});

function decodeHtmlAttribute(value: string): string {
  return value
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/**
 * Opens /login?redirectTo=… like a browser following a link, then submits
 * the rendered form with valid credentials. Returns the sign-in response.
 */
async function signInThroughForm(redirectTo: string): Promise<Response> {
  const client = new TestClient(server.baseUrl);
  const { response, body } = await client.get(
    `/login?redirectTo=${encodeURIComponent(redirectTo)}`,
  );
  expect(response.status).toBe(200);
  const field = body.match(
    /<input type="hidden" name="redirectTo" value="([^"]*)"/,
  );
  if (!field) throw new Error("The sign-in form has no redirectTo field");
  const rendered = decodeHtmlAttribute(field[1]!);
  expect(rendered).toBe(redirectTo);
  return client.postForm("/login", {
    email: EMAIL,
    password: STRONG_PASSWORD,
    redirectTo: rendered,
  });
}

/** Asserts a Location header stays on this site: one leading slash, no host. */
function expectLocalLocation(location: string | null): void {
  expect(location).not.toBeNull();
  expect(location).toMatch(/^\/(?![/\\])/);
  expect(new URL(location!, "https://dokodo.test").origin).toBe(
    "https://dokodo.test",
  );
}

describe("sign-in redirectTo", () => {
  const hostile = [
    "//evil.example",
    "//evil.example/items",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/..//evil.example",
    "/.//evil.example",
    "/%2e%2e//evil.example",
    "/%2E//evil.example",
    "/items/..//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "https://evil.example/",
    "http://evil.example/items",
    "https:evil.example",
    "https://dokodo.test@evil.example/",
    "//dokodo.test@evil.example",
    "ftp://evil.example/",
  ];

  it.each(hostile)("falls back to /items for %j", async (redirectTo) => {
    const response = await signInThroughForm(redirectTo);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/items");
  });

  it.each([
    ["/items/new", "/items/new"],
    ["/items?q=drill&page=2", "/items?q=drill&page=2"],
    ["/locations/abc#children", "/locations/abc#children"],
    ["/%09/evil.example", "/%09/evil.example"],
  ])("keeps the local path %j", async (redirectTo, expected) => {
    const response = await signInThroughForm(redirectTo);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(expected);
    expectLocalLocation(response.headers.get("location"));
  });
});

describe("forged Host headers", () => {
  const forged = {
    host: FORGED_HOST,
    "x-forwarded-host": FORGED_HOST,
    "x-forwarded-proto": "https",
  };

  it("do not change the sign-in redirect", async () => {
    const response = await rawRequest(server.baseUrl, "/items?q=1", {
      headers: forged,
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(
      "/login?redirectTo=%2Fitems%3Fq%3D1",
    );
  });

  it("do not change the redirect after sign-in", async () => {
    const client = new TestClient(server.baseUrl);
    const csrf = await client.fetchCsrfToken("/login");
    const body = new URLSearchParams({
      csrf,
      email: EMAIL,
      password: STRONG_PASSWORD,
      redirectTo: "/items/new",
    }).toString();
    const response = await rawRequest(server.baseUrl, "/login", {
      method: "POST",
      headers: {
        ...forged,
        origin: server.baseUrl,
        cookie: client.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe("/items/new");
  });

  it("do not satisfy the origin check", async () => {
    const client = new TestClient(server.baseUrl);
    const csrf = await client.fetchCsrfToken("/login");
    const body = new URLSearchParams({
      csrf,
      email: EMAIL,
      password: STRONG_PASSWORD,
    }).toString();
    const response = await rawRequest(server.baseUrl, "/login", {
      method: "POST",
      headers: {
        ...forged,
        origin: `https://${FORGED_HOST}`,
        cookie: client.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    });
    expect(response.status).toBe(403);
  });

  it.each(["/login", "/register", "/no-such-page"])(
    "do not appear in %s",
    async (path) => {
      const response = await rawRequest(server.baseUrl, path, {
        headers: forged,
      });
      expect([200, 404]).toContain(response.status);
      expect(response.body).toContain("<html");
      expect(response.body).not.toContain(FORGED_HOST);
      expect(JSON.stringify(response.headers)).not.toContain(FORGED_HOST);
    },
  );

  it("do not change links in emails", async () => {
    const client = new TestClient(server.baseUrl);
    const csrf = await client.fetchCsrfToken("/forgot-password");
    const body = new URLSearchParams({ csrf, email: EMAIL }).toString();
    const response = await rawRequest(server.baseUrl, "/forgot-password", {
      method: "POST",
      headers: {
        ...forged,
        origin: server.baseUrl,
        cookie: client.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    });
    expect(response.status).toBe(200);

    // The reset email is queued after the response; send it now.
    const { settleBackgroundTasks } = await import("~/utils/background.server");
    const { drainOutbox } = await import("~/modules/email/outbox.server");
    await settleBackgroundTasks();
    await drainOutbox();

    const isReset = (subject: string) => /password/i.test(subject);
    const mails = smtp.messagesTo(EMAIL);
    expect(mails.some((mail) => isReset(mail.subject))).toBe(true);
    for (const mail of mails) {
      expect(mail.text).not.toContain(FORGED_HOST);
      expect(mail.html).not.toContain(FORGED_HOST);
      const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect(link.startsWith(`${server.baseUrl}/`)).toBe(true);
      }
    }
  });
});

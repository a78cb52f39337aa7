import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import { registerAccount, TestClient } from "../support/client";
import { captureLogs } from "../support/logs";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let client: TestClient;
let logLines: string[];

beforeAll(async () => {
  logLines = captureLogs();
  server = await startTestServer();
  client = await registerAccount(server.baseUrl, {
    email: "guard@example.com",
  });
});

afterAll(async () => {
  await server.close();
});

function sameOriginPost(
  path: string,
  contentType: string | null,
  body: string,
  extraHeaders: Record<string, string> = {},
) {
  const headers: Record<string, string> = {
    origin: server.baseUrl,
    ...extraHeaders,
  };
  if (contentType) headers["content-type"] = contentType;
  return client.request(path, { method: "POST", headers, body });
}

describe("page request guard", () => {
  it.each(["/items?q=a%00b", "/items/%00", "/locations?x=%00"])(
    "rejects NUL in %s",
    async (path) => {
      const response = await client.request(path);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(
        "The address contains a NUL character (%00).",
      );
    },
  );

  it.each([
    ["application/json", '{"name":"x"}'],
    ["text/plain", "name=x"],
    [null, "name=x"],
  ])("rejects %s bodies with 415", async (contentType, body) => {
    const response = await sameOriginPost("/items/new", contentType, body);
    expect(response.status).toBe(415);
    expect(await response.text()).toContain(
      "Forms must be sent as application/x-www-form-urlencoded or multipart/form-data.",
    );
  });

  it("rejects multipart without boundary", async () => {
    const response = await sameOriginPost(
      "/items/new",
      "multipart/form-data",
      "garbage",
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "The multipart form has no boundary.",
    );
  });

  it.each([
    ["/items/new", { name: "nul\u0000name", quantity: "1" }, "name"],
    ["/locations/new", { name: "L\u0000oc" }, "name"],
    [
      "/items/new",
      { name: "Lamp", quantity: "1", "x\u0000y": "" },
      "x\\u0000y",
    ],
  ])("rejects NUL in %s form fields", async (path, fields, field) => {
    const response = await client.postForm(path, fields);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      `The field &quot;${field}&quot; contains a NUL character (U+0000), which cannot be stored. Remove it and submit the form again.`,
    );
    expect(await prisma.item.count()).toBe(0);
    expect(await prisma.location.count()).toBe(0);
  });

  it("rejects NUL in a sign-in password", async () => {
    const signedOut = new TestClient(server.baseUrl);
    const response = await signedOut.postForm("/login", {
      email: "guard@example.com",
      password: "Pass\u0000word-1",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "The field &quot;password&quot; contains a NUL character (U+0000), which cannot be stored. Remove it and submit the form again.",
    );
    expect(signedOut.getCookie("dokodo_session")).toBeUndefined();
  });

  it.each(["/%", "/items/%E0%A4%A", "/%ZZ"])(
    "rejects the malformed address %s with 400",
    async (path) => {
      const response = await client.request(path);
      expect(response.status).toBe(400);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      const body = await response.text();
      expect(body).toContain("<h1>Invalid address</h1>");
      expect(body).toContain(
        "The address contains a % that does not start a valid percent-encoded character. Fix the link or the address and try again.",
      );
      expect(body).toContain(
        `Request ID: <code>${response.headers.get("x-request-id")}</code>`,
      );
      expect(body).not.toContain("URIError");

      // The captured logger has no request-ID mixin, so lines match by path.
      const logged = logLines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.path === path && line.event !== "http.request");
      expect(logged).toHaveLength(1);
      expect(logged[0]!.level).toBe(40);
      expect(logged[0]!.event).toBe("http.client_error");
      expect(logged[0]!.status).toBe(400);
    },
  );

  it("rejects a malformed API address with JSON 400", async () => {
    const response = await client.request("/api/v1/%");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error:
        "The address contains a % that does not start a valid percent-encoded character. Fix the link or the address and try again.",
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("rejects PUT on pages", async () => {
    const response = await client.request("/items/new", {
      method: "PUT",
      headers: { origin: server.baseUrl },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
  });

  it("rejects forms over 1 MB", async () => {
    const body = `name=${"a".repeat(1024 * 1024 + 10)}`;
    const response = await sameOriginPost(
      "/items/new",
      "application/x-www-form-urlencoded",
      body,
    );
    expect(response.status).toBe(413);
    expect(await prisma.item.count()).toBe(0);
  });

  it("answers a broken multipart body with 400 and no details", async () => {
    const response = await sameOriginPost(
      "/login",
      "multipart/form-data; boundary=dokodo",
      "not multipart",
    );
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain(
      "The form could not be read because its body does not match its Content-Type.",
    );
    expect(body).not.toMatch(/FormData/i);
    expect(body).not.toMatch(/\bat \S+ \(/);
    expect(body).not.toContain("node_modules");
    expect(await prisma.session.count()).toBe(1);
  });

  it("refuses a chunked form body with 411", async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("name=Chunked"));
        controller.enqueue(encoder.encode("&quantity=1"));
        controller.close();
      },
    });
    const response = await client.request("/items/new", {
      method: "POST",
      headers: {
        origin: server.baseUrl,
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
      // Node's fetch streams a ReadableStream body with chunked coding.
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(411);
    expect(await response.text()).toContain(
      "The form was sent without a Content-Length header.",
    );
    expect(await prisma.item.count()).toBe(0);
  });
});

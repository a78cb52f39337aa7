import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import { registerAccount, TestClient } from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let client: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  client = await registerAccount(server.baseUrl, {
    email: "errors@example.com",
  });
});

afterAll(async () => {
  await server.close();
});

const SIGN_OUT_BUTTON = />Sign out<\/button>/;

describe("error pages of signed-in routes", () => {
  it("keeps the signed-in header after a rejected form", async () => {
    const response = await client.postForm(
      "/items/new",
      { name: "Ladder", quantity: "1" },
      { csrf: "forged-token" },
    );
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).toContain(
      "This form has expired or did not come from Dokodo. Reload the page and submit it again.",
    );
    expect(body).toMatch(SIGN_OUT_BUTTON);
    expect(body).toContain(
      `Request ID: <code>${response.headers.get("x-request-id")}</code>`,
    );
    expect(await prisma.item.count()).toBe(0);
  });

  it("keeps the signed-in header on a 404", async () => {
    const { response, body } = await client.get(
      "/items/00000000-0000-0000-0000-000000000000",
    );
    expect(response.status).toBe(404);
    expect(body).toContain(
      "There is nothing here, or you do not have access to it.",
    );
    expect(body).toMatch(SIGN_OUT_BUTTON);
  });

  it("names the failed data request's ID", async () => {
    const response = await client.postForm(
      "/items/new.data",
      { name: "Ladder", quantity: "1" },
      { csrf: "forged-token" },
    );
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toMatch(/^text\/x-script/);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/\S/);
    const body = await response.text();
    expect(body).toContain(
      "This form has expired or did not come from Dokodo.",
    );
    expect(body).toContain(requestId!);
    expect(await prisma.item.count()).toBe(0);
  });

  it.each([
    [
      "a form over 1 MB",
      { name: "x".repeat(1024 * 1024 + 10), quantity: "1" },
      {},
      413,
      "The form is larger than 1 MB.",
    ],
    [
      "a foreign Origin",
      { name: "Ladder", quantity: "1" },
      { origin: "https://evil.example" },
      403,
      "Dokodo accepts changes only from its own pages",
    ],
  ])(
    "encodes the rejection of %s for Remix",
    async (_case, fields, options, status, message) => {
      const response = await client.postForm("/items/new.data", fields, {
        csrf: "unused",
        ...options,
      });
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toMatch(/^text\/x-script/);
      const body = await response.text();
      expect(body).toContain(message);
      expect(body).toContain(response.headers.get("x-request-id")!);
      expect(await prisma.item.count()).toBe(0);
    },
  );
});

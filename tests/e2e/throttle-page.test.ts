import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { LaunchedBrowser } from "../support/browser";
import { browserSkipReason, launchBrowser } from "../support/browser";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let launched: LaunchedBrowser;
let page: Page;

/** Submits the sign-in form and returns the response to its data request. */
async function submitSignIn() {
  await page.fill('main input[name="email"]', "nobody@example.com");
  await page.fill('main input[name="password"]', "Wrong-Password-42");
  const [response] = await Promise.all([
    page.waitForResponse(
      (candidate) =>
        candidate.request().method() === "POST" &&
        new URL(candidate.url()).pathname === "/login.data",
    ),
    page.locator('main button[type="submit"]').click(),
  ]);
  return response;
}

describe.skipIf(browserSkipReason !== null)(
  "throttled form submissions in Chromium",
  () => {
    beforeAll(async () => {
      server = await startTestServer({ THROTTLE_AUTH_LIMIT: "2" });
      launched = await launchBrowser();
      page = await launched.context.newPage();
    });

    afterAll(async () => {
      await launched?.close();
      await server?.close();
    });

    it("shows the wait time and the failed request's ID", async () => {
      const loaded = await page.goto(`${server.baseUrl}/login`);
      await page.waitForLoadState("networkidle");
      const pageRequestId = loaded?.headers()["x-request-id"];
      expect(pageRequestId).toMatch(/\S/);

      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const response = await submitSignIn();
        expect(response.status()).toBe(400);
      }

      const rejected = await submitSignIn();
      expect(rejected.status()).toBe(429);
      const retryAfter = Number(rejected.headers()["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      const rejectedId = rejected.headers()["x-request-id"];
      expect(rejectedId).toMatch(/\S/);
      expect(rejectedId).not.toBe(pageRequestId);

      await page
        .getByRole("heading", { level: 1, name: "Too many requests" })
        .waitFor();
      const main = page.locator("main");
      expect(await main.textContent()).toContain(
        `Too many requests. Try again in ${retryAfter} seconds.`,
      );
      expect(await main.locator("code").textContent()).toBe(rejectedId);
    });
  },
);

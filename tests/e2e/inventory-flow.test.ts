import type { ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { LaunchedBrowser } from "../support/browser";
import { browserSkipReason, launchBrowser } from "../support/browser";
import { STRONG_PASSWORD } from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let launched: LaunchedBrowser;
let page: Page;
const consoleProblems: string[] = [];

/** Submits the form inside <main> that contains `field`. */
async function submitFormWith(field: string) {
  await Promise.all([
    page.waitForLoadState("networkidle"),
    page
      .locator(`main form:has(${field}) button[type="submit"]`)
      .first()
      .click(),
  ]);
}

describe.skipIf(browserSkipReason !== null)("inventory in Chromium", () => {
  beforeAll(async () => {
    server = await startTestServer();
    launched = await launchBrowser();
    page = await launched.context.newPage();
    page.on("console", (message: ConsoleMessage) => {
      if (message.type() === "error" || message.type() === "warning") {
        consoleProblems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) =>
      consoleProblems.push(`pageerror: ${error.message}`),
    );
  });

  afterAll(async () => {
    await launched?.close();
    await server?.close();
  });

  it("registers, files, finds and deletes", async () => {
    await page.goto(`${server.baseUrl}/register`);
    await page.fill('input[name="name"]', "Mika");
    await page.fill('input[name="email"]', "mika@example.com");
    await page.fill('input[name="password"]', STRONG_PASSWORD);
    await submitFormWith('input[name="email"]');
    await page.waitForURL(`${server.baseUrl}/check-email`);

    // Registration creates no session, so new and already registered
    // addresses get the same response. Unverified accounts may sign in.
    await page.goto(`${server.baseUrl}/login`);
    await page.fill('input[name="email"]', "mika@example.com");
    await page.fill('input[name="password"]', STRONG_PASSWORD);
    await submitFormWith('input[name="password"]');
    await page.waitForURL(`${server.baseUrl}/items`);

    await page.goto(`${server.baseUrl}/locations/new`);
    await page.fill('input[name="name"]', "Garage shelf");
    await submitFormWith('input[name="name"]');
    await page.waitForURL(/\/locations\/[^/]+$/);
    const location = await prisma.location.findFirstOrThrow({
      where: { name: "Garage shelf" },
    });

    await page.goto(`${server.baseUrl}/items/new`);
    await page.fill('input[name="name"]', "Cordless drill");
    await page.fill('[name="description"]', "Blue, with two batteries");
    await page.fill('input[name="quantity"]', "1");
    await page.selectOption('select[name="locationId"]', location.id);
    await page.fill('input[name="tags"]', "tools, power");
    await submitFormWith('input[name="tags"]');
    await page.waitForURL(/\/items\/[^/]+$/);
    await page
      .getByRole("heading", { level: 1, name: "Cordless drill", exact: true })
      .waitFor();

    await page.goto(`${server.baseUrl}/items?q=DRILL`);
    const result = page
      .locator("main")
      .getByRole("link", { name: "Cordless drill" });
    expect(await result.count()).toBe(1);

    await page
      .locator("main")
      .getByRole("link", { name: "Cordless drill", exact: true })
      .click();
    await page.waitForURL(/\/items\/[^/]+$/);
    page.once("dialog", (dialog) => void dialog.accept());
    await submitFormWith('input[name="intent"][value="delete"]');
    await page.waitForURL(`${server.baseUrl}/items`);

    expect(await prisma.item.count({ where: { name: "Cordless drill" } })).toBe(
      0,
    );
    expect(
      await prisma.auditLog.count({ where: { action: "ITEM_DELETED" } }),
    ).toBe(1);
  });

  it("logs no console errors", () => {
    expect(consoleProblems).toEqual([]);
  });
});

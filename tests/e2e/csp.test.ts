import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { LaunchedBrowser } from "../support/browser";
import { browserSkipReason, launchBrowser } from "../support/browser";
import { registerAccount, STRONG_PASSWORD } from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

const EMAIL = "csp@example.com";

type Violation = { directive: string; blockedUri: string; sample: string };

declare global {
  interface Window {
    /** CSP violations the page reported, recorded by an init script. */
    __cspViolations?: Violation[];
    /** Set by the test; survives client-side navigation only. */
    __sameDocument?: boolean;
  }
}

let server: TestServer;
let launched: LaunchedBrowser;
let page: Page;
/** Console errors and warnings, and uncaught errors, per page. */
const consoleProblems: string[] = [];
/** URLs of documents expected to return 404. */
const expectedMissing = new Set<string>();

/**
 * Records every CSP violation in the page. Playwright runs init scripts
 * outside the page's CSP, so the listener itself causes no violation.
 */
function recordViolations(): void {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations!.push({
      directive: event.effectiveDirective,
      blockedUri: event.blockedURI,
      sample: event.sample,
    });
  });
}

async function openPage(target: Page, path: string): Promise<void> {
  await target.goto(`${server.baseUrl}${path}`, { waitUntil: "networkidle" });
  // Remix sets window.__remixRouter once the page has hydrated.
  await target.waitForFunction(() => "__remixRouter" in window);
}

async function violationsOf(target: Page): Promise<Violation[]> {
  return target.evaluate(() => window.__cspViolations ?? []);
}

/**
 * Opens `path`, then asserts no CSP violation and a clean console. The test
 * build is not a production build, so React's hydration warnings would show.
 */
async function expectCleanPage(path: string, status = 200): Promise<void> {
  consoleProblems.length = 0;
  expectedMissing.clear();
  if (status === 404) expectedMissing.add(`${server.baseUrl}${path}`);
  await openPage(page, path);
  expect(await violationsOf(page), path).toEqual([]);
  expect(consoleProblems, path).toEqual([]);
}

describe.skipIf(browserSkipReason !== null)("CSP in Chromium", () => {
  let itemId: string;
  let locationId: string;

  beforeAll(async () => {
    server = await startTestServer();
    await registerAccount(server.baseUrl, { email: EMAIL });
    launched = await launchBrowser();
    await launched.context.addInitScript(recordViolations);
    page = await launched.context.newPage();
    page.on("console", (message) => {
      if (message.type() !== "error" && message.type() !== "warning") return;
      // On a 404 page, Chromium reports the document's status and React
      // Router's development build warns that no route matched.
      const missingPath = [...expectedMissing].find(
        (url) =>
          (message.location().url === url &&
            message.text().includes("status of 404 (Not Found)")) ||
          message.text() ===
            `No routes matched location "${new URL(url).pathname}" `,
      );
      if (!missingPath) {
        consoleProblems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => {
      consoleProblems.push(`pageerror: ${error.message}`);
    });
  });

  afterAll(async () => {
    await launched?.close();
    await server?.close();
  });

  it.each(["/", "/login", "/register"])(
    "signed out: %s is clean",
    async (path) => {
      await expectCleanPage(path);
    },
  );

  it("signed out: a 404 page is clean", async () => {
    await expectCleanPage("/no-such-page", 404);
  });

  it("hides the nonce from the DOM", async () => {
    await openPage(page, "/login");
    const nonces = await page.evaluate(() =>
      [...document.querySelectorAll("script")].map((script) => ({
        attribute: script.getAttribute("nonce"),
        property: script.nonce,
      })),
    );
    expect(nonces.length).toBeGreaterThanOrEqual(3);
    for (const nonce of nonces) {
      expect(nonce.attribute).toBe("");
      expect(nonce.property).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    }
  });

  it("signs in through the form with JavaScript", async () => {
    consoleProblems.length = 0;
    await openPage(page, "/login");
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    await page.fill('input[name="email"]', EMAIL);
    await page.fill('input[name="password"]', STRONG_PASSWORD);
    await page.click(
      'main form:has(input[name="password"]) button[type="submit"]',
    );
    await page.waitForURL(`${server.baseUrl}/items`);
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    expect(await violationsOf(page)).toEqual([]);
    expect(consoleProblems).toEqual([]);
  });

  it("creates a location and an item through forms", async () => {
    consoleProblems.length = 0;
    await openPage(page, "/locations/new");
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    await page.fill('main input[name="name"]', "Hall cupboard");
    await page.click('main form:has(input[name="name"]) button[type="submit"]');
    await page.waitForURL((url) =>
      /^\/locations\/(?!new$)[^/]+$/.test(url.pathname),
    );
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    locationId = new URL(page.url()).pathname.split("/")[2]!;

    await openPage(page, "/items/new");
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    await page.fill('main input[name="name"]', "Umbrella");
    await page.selectOption('main select[name="locationId"]', locationId);
    await page.click('main form:has(input[name="name"]) button[type="submit"]');
    await page.waitForURL((url) =>
      /^\/items\/(?!new$)[^/]+$/.test(url.pathname),
    );
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    itemId = new URL(page.url()).pathname.split("/")[2]!;

    const item = await prisma.item.findUniqueOrThrow({ where: { id: itemId } });
    expect(item.name).toBe("Umbrella");
    expect(item.locationId).toBe(locationId);
    expect(await violationsOf(page)).toEqual([]);
    expect(consoleProblems).toEqual([]);
  });

  it("signed in: every page is clean", async () => {
    const paths = [
      "/items",
      "/items/new",
      `/items/${itemId}`,
      `/items/${itemId}/edit`,
      "/locations",
      "/locations/new",
      `/locations/${locationId}`,
    ];
    for (const path of paths) {
      await expectCleanPage(path);
    }
    await expectCleanPage("/no-such-page", 404);
  });

  it("navigates client-side without a reload", async () => {
    consoleProblems.length = 0;
    await openPage(page, "/items");
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    await page.click('header a[href="/locations"]');
    await page.waitForURL(`${server.baseUrl}/locations`);
    await page.click(`main a[href="/locations/${locationId}"]`);
    await page.waitForURL(`${server.baseUrl}/locations/${locationId}`);
    await page
      .getByRole("heading", { level: 1, name: "Hall cupboard" })
      .waitFor();
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    expect(await violationsOf(page)).toEqual([]);
    expect(consoleProblems).toEqual([]);
  });

  it("signs out from the header form", async () => {
    consoleProblems.length = 0;
    await openPage(page, "/items");
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    const sessions = { where: { user: { email: EMAIL } } };
    const before = await prisma.session.count(sessions);
    await page.click('header button[type="submit"]');
    await page.waitForURL(`${server.baseUrl}/`);
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    expect(await prisma.session.count(sessions)).toBe(before - 1);
    expect(await page.locator('header a[href="/login"]').count()).toBe(1);
    expect(consoleProblems).toEqual([]);
  });

  // A control for the checks above: markup injected into the server's HTML
  // must not run, and must show up as violations and console errors.
  it("blocks injected inline scripts", async () => {
    const probe = await launched.context.newPage();
    const probeConsole: string[] = [];
    probe.on("console", (message) => probeConsole.push(message.text()));
    await probe.route(`${server.baseUrl}/login`, async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(
        "</main>",
        '<script>window.__injected = "script";</script>' +
          '<img src="/favicon.svg" onload="window.__injected = \'handler\'">' +
          "</main>",
      );
      await route.fulfill({ response, body });
    });
    try {
      await openPage(probe, "/login");
      await probe.waitForFunction(() => window.__cspViolations!.length >= 2);
      expect(await probe.evaluate(() => "__injected" in window)).toBe(false);
      const directives = (await violationsOf(probe)).map(
        (violation) => violation.directive,
      );
      expect(directives).toContain("script-src-elem");
      expect(directives).toContain("script-src-attr");
      expect(
        probeConsole.filter((text) =>
          text.includes("violates the following Content Security Policy"),
        ),
      ).toHaveLength(2);
    } finally {
      await probe.close();
    }
  });
});

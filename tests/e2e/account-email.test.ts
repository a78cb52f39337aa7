import type { BrowserContext, ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { LaunchedBrowser } from "../support/browser";
import {
  browserSkipReason,
  launchBrowser,
  signInInBrowser,
} from "../support/browser";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { TestSmtpServer } from "../support/smtp";
import {
  createSmtpServer,
  deliverQueuedEmail,
  findLink,
} from "../support/smtp";

const EMAIL = "rin@example.com";
const FIRST_PASSWORD = "Correct-Horse-42-battery";
const SECOND_PASSWORD = "Lantern-Quiver-58-orbit";

let server: TestServer;
let smtp: TestSmtpServer;
let launched: LaunchedBrowser;
let page: Page;
let otherContext: BrowserContext;
const consoleProblems: string[] = [];

function watchConsole(target: Page) {
  target.on("console", (message: ConsoleMessage) => {
    if (message.type() === "error" || message.type() === "warning") {
      consoleProblems.push(`${message.type()}: ${message.text()}`);
    }
  });
  target.on("pageerror", (error) =>
    consoleProblems.push(`pageerror: ${error.message}`),
  );
}

/** Returns the newest link starting with `prefix` sent to EMAIL. */
async function latestLink(prefix: string): Promise<string> {
  await deliverQueuedEmail();
  const mail = smtp
    .messagesTo(EMAIL)
    .filter((message) => message.text.includes(prefix))
    .at(-1);
  if (!mail) throw new Error(`No email to ${EMAIL} with ${prefix}`);
  return findLink(mail, prefix);
}

/**
 * Waits until the meter has rated the current input, then returns how many
 * segments are filled and which rules are met.
 */
async function readMeter(target: Page) {
  await target.waitForSelector(
    '[data-testid="password-meter"][data-up-to-date="true"]',
  );
  const filled = await target
    .locator('[data-testid="password-meter"] [data-filled="true"]')
    .count();
  const rules = await target
    .locator('[data-testid="password-meter"] li[data-rule]')
    .evaluateAll((items) =>
      Object.fromEntries(
        items.map((item) => [
          item.getAttribute("data-rule"),
          item.getAttribute("data-met") === "true",
        ]),
      ),
    );
  return { filled, rules };
}

describe.skipIf(browserSkipReason !== null)("account email in Chromium", () => {
  beforeAll(async () => {
    smtp = await createSmtpServer();
    await smtp.start();
    server = await startTestServer({ SMTP_URL: smtp.url });
    launched = await launchBrowser();
    page = await launched.context.newPage();
    watchConsole(page);
    otherContext = await launched.browser.newContext();
  });

  afterAll(async () => {
    await otherContext?.close();
    await launched?.close();
    await server?.close();
    await smtp?.stop();
  });

  it("registers with a live strength meter", async () => {
    const scripts: string[] = [];
    page.on("request", (request) => {
      if (request.resourceType() === "script") scripts.push(request.url());
    });

    await page.goto(`${server.baseUrl}/register`);
    await page.waitForLoadState("networkidle");
    expect(await page.locator('[data-testid="password-meter"]').count()).toBe(
      0,
    );
    const scriptsBeforeFocus = scripts.length;

    await page.fill('main input[name="name"]', "Rin Tanaka");
    await page.fill('main input[name="email"]', EMAIL);
    await page.focus('main input[name="password"]');
    await page.waitForSelector('[data-testid="password-meter"]');
    // The dictionaries arrive as extra script chunks only after focus.
    await page.waitForFunction(() =>
      document
        .querySelector('[data-testid="password-meter"]')
        ?.textContent?.includes("Start typing"),
    );
    expect(scripts.length).toBeGreaterThan(scriptsBeforeFocus);

    await page.type('main input[name="password"]', "rintanaka1");
    const weak = await readMeter(page);
    expect(weak.rules.notPersonal).toBe(false);
    expect(weak.rules.upperCase).toBe(false);
    expect(weak.rules.strength).toBe(false);
    expect(weak.filled).toBeLessThanOrEqual(2);
    expect(
      await page.locator('[data-testid="password-meter"]').textContent(),
    ).toContain("Strength: ");

    await page.fill('main input[name="password"]', FIRST_PASSWORD);
    const strong = await readMeter(page);
    expect(strong.filled).toBe(5);
    expect(Object.values(strong.rules).every(Boolean)).toBe(true);
    expect(
      await page.locator('[role="meter"]').getAttribute("aria-valuetext"),
    ).toBe("Very strong");

    await Promise.all([
      page.waitForURL(`${server.baseUrl}/check-email`),
      page.locator('main button[type="submit"]').click(),
    ]);
    // The URL changes before React renders the new route, so wait for the
    // heading itself rather than reading it right away.
    await page
      .getByRole("heading", { level: 1, name: "Check your inbox", exact: true })
      .waitFor();
    expect(await prisma.session.count()).toBe(0);
  });

  it("confirms the address from the email", async () => {
    const link = await latestLink(`${server.baseUrl}/verify-email?token=`);
    await page.goto(link);
    expect(await page.locator("main h1").textContent()).toBe(
      "Confirm your email address",
    );
    // Opening the link alone verifies nothing.
    const before = await prisma.user.findUniqueOrThrow({
      where: { email: EMAIL },
    });
    expect(before.emailVerifiedAt).toBeNull();

    await page.getByRole("button", { name: "Confirm email address" }).click();
    await page.waitForSelector("text=Email address confirmed");
    const after = await prisma.user.findUniqueOrThrow({
      where: { email: EMAIL },
    });
    expect(after.emailVerifiedAt).not.toBeNull();
  });

  it("signs in on two browsers and signs out of one", async () => {
    await signInInBrowser(page, server.baseUrl, {
      email: EMAIL,
      password: FIRST_PASSWORD,
    });
    expect(
      await page.locator('[aria-label="Email confirmation"]').count(),
    ).toBe(0);

    const otherPage = await otherContext.newPage();
    watchConsole(otherPage);
    await signInInBrowser(otherPage, server.baseUrl, {
      email: EMAIL,
      password: FIRST_PASSWORD,
    });
    await otherPage.goto(`${server.baseUrl}/settings/sessions`);
    expect(await otherPage.locator("[data-session-id]").count()).toBe(2);
    await otherPage.close();

    await Promise.all([
      page.waitForURL(`${server.baseUrl}/`),
      page.locator("header").getByRole("button", { name: "Sign out" }).click(),
    ]);
    expect(await prisma.session.count()).toBe(1);
  });

  it("resets the password from the email", async () => {
    await page.goto(`${server.baseUrl}/forgot-password`);
    await page.fill('main input[name="email"]', EMAIL);
    await page.locator('main button[type="submit"]').click();
    await page.waitForSelector("text=Check your inbox");

    const link = await latestLink(`${server.baseUrl}/reset-password?token=`);
    await page.goto(link);
    expect(await page.locator("main h1").textContent()).toBe(
      "Choose a new password",
    );
    await page.fill('main input[name="newPassword"]', SECOND_PASSWORD);
    await page.locator('main button[type="submit"]').click();
    await page.waitForSelector("text=Password changed");

    expect(await prisma.session.count()).toBe(0);
    const otherPage = await otherContext.newPage();
    await otherPage.goto(`${server.baseUrl}/settings/sessions`);
    expect(new URL(otherPage.url()).pathname).toBe("/login");
    await otherPage.close();

    await signInInBrowser(page, server.baseUrl, {
      email: EMAIL,
      password: SECOND_PASSWORD,
    });
    expect(new URL(page.url()).pathname).not.toBe("/login");

    await deliverQueuedEmail();
    expect(
      smtp
        .messagesTo(EMAIL)
        .some((mail) => mail.subject === "Your Dokodo password was changed"),
    ).toBe(true);
  });

  it("logs no console errors", () => {
    expect(consoleProblems).toEqual([]);
  });
});

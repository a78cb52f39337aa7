import { existsSync } from "node:fs";

import type { Browser, BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Null when Chromium is installed, else the one-line reason browser tests
 * skip. Under CI=true a missing browser is an error instead, so CI cannot
 * pass without running them.
 */
export const browserSkipReason: string | null = (() => {
  if (existsSync(CHROMIUM_PATH)) return null;
  const reason = `Chromium not found at ${CHROMIUM_PATH}; install the Debian package chromium or set CHROMIUM_PATH`;
  if (process.env.CI === "true") throw new Error(reason);
  console.warn(`Skipping browser tests: ${reason}`);
  return reason;
})();

export type LaunchedBrowser = {
  browser: Browser;
  context: BrowserContext;
  close: () => Promise<void>;
};

/**
 * Launches Debian's Chromium headless. Playwright gives every launch a fresh
 * temporary profile; the flags keep Chromium from reaching the network on
 * its own (updates, sync, QUIC probes).
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext();
  return {
    browser,
    context,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

/**
 * Signs in through the /login form and waits for the redirect away from it.
 * Registration creates no session, so browser tests sign in after it.
 */
export async function signInInBrowser(
  page: Page,
  baseUrl: string,
  credentials: { email: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('main input[name="email"]', credentials.email);
  await page.fill('main input[name="password"]', credentials.password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== "/login"),
    page.locator('main button[type="submit"]').click(),
  ]);
}

/**
 * Registers through the /register form, which leads to /check-email, then
 * signs in with the same credentials.
 */
export async function registerInBrowser(
  page: Page,
  baseUrl: string,
  account: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/register`);
  await page.fill('main input[name="name"]', account.name);
  await page.fill('main input[name="email"]', account.email);
  await page.fill('main input[name="password"]', account.password);
  await Promise.all([
    page.waitForURL(`${baseUrl}/check-email`),
    page.locator('main button[type="submit"]').click(),
  ]);
  await signInInBrowser(page, baseUrl, account);
}

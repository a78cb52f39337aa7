import { readFile } from "node:fs/promises";

import type { ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { LaunchedBrowser } from "../support/browser";
import {
  browserSkipReason,
  launchBrowser,
  registerInBrowser,
} from "../support/browser";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import { TOTP_STEP_MS, totpCode } from "../support/totp";

const EMAIL = "kai@example.com";
const PASSWORD = "Correct-Horse-42-battery";

let server: TestServer;
let launched: LaunchedBrowser;
let page: Page;
const consoleProblems: string[] = [];

/** State that later steps read from earlier ones. */
let secret = "";
let recoveryCodes: string[] = [];

async function signOut(): Promise<void> {
  await Promise.all([
    page.waitForURL(`${server.baseUrl}/`),
    page.locator('header button:has-text("Sign out")').click(),
  ]);
}

/** Submits the password form and waits for the second-step page. */
async function passPasswordStep(): Promise<void> {
  await page.goto(`${server.baseUrl}/login`);
  await page.fill('main input[name="email"]', EMAIL);
  await page.fill('main input[name="password"]', PASSWORD);
  await Promise.all([
    page.waitForURL(`${server.baseUrl}/login/2fa`),
    page.locator('main button[type="submit"]').click(),
  ]);
}

/** Submits a code on /login/2fa and waits for the items page. */
async function submitCodeAndExpectItems(code: string): Promise<void> {
  await page.fill('main input[name="code"]', code);
  await Promise.all([
    page.waitForURL(`${server.baseUrl}/items`),
    page.locator('main button[type="submit"]').click(),
  ]);
}

describe.skipIf(browserSkipReason !== null)(
  "two-step sign-in in Chromium",
  () => {
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
      await registerInBrowser(page, server.baseUrl, {
        name: "Kai",
        email: EMAIL,
        password: PASSWORD,
      });
      // Setup needs a verified address; the email round trip has its own test.
      await prisma.user.update({
        where: { email: EMAIL },
        data: { emailVerifiedAt: new Date() },
      });
    });

    afterAll(async () => {
      await launched?.close();
      await server?.close();
    });

    it("turns on with a code from the key", async () => {
      await page.goto(`${server.baseUrl}/settings`);
      await page
        .locator('nav[aria-label="Settings"] a:has-text("Security")')
        .click();
      await page.waitForURL(`${server.baseUrl}/settings/security`);
      await page.locator('button:has-text("Set up two-step sign-in")').click();

      const key = page.locator('[data-testid="totp-manual-key"]');
      await key.waitFor();
      secret = (await key.textContent())!.replace(/\s/g, "");
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      // The QR code is a data: image, which the CSP's img-src allows.
      const qrWidth = await page
        .locator('[data-testid="totp-qr-code"]')
        .evaluate((image: HTMLImageElement) =>
          image.complete ? image.naturalWidth : 0,
        );
      expect(qrWidth).toBeGreaterThan(0);

      await page.fill('main input[name="code"]', totpCode(secret));
      await page.locator('button:has-text("Turn on two-step sign-in")').click();
      await page.locator('[data-testid="recovery-codes"]').waitFor();
      recoveryCodes = await page
        .locator("[data-recovery-code]")
        .evaluateAll((items) =>
          items.map((item) => item.getAttribute("data-recovery-code")!),
        );
      expect(recoveryCodes).toHaveLength(10);
      expect(
        await page.locator('[data-testid="two-factor-status"]').textContent(),
      ).toContain("Two-step sign-in is on");
    });

    it("downloads the recovery codes", async () => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.locator('a:has-text("Download as .txt")').click(),
      ]);
      expect(download.suggestedFilename()).toBe("dokodo-recovery-codes.txt");
      const text = await readFile((await download.path())!, "utf8");
      for (const code of recoveryCodes) expect(text).toContain(code);
    });

    it("signs in with a TOTP code", async () => {
      await signOut();
      await passPasswordStep();
      expect(await prisma.session.count()).toBe(0);
      // The setup used the current step's code, and a step is accepted only
      // once, so sign in with the next step's code (inside the ±1 window).
      await submitCodeAndExpectItems(
        totpCode(secret, Date.now() + TOTP_STEP_MS),
      );
    });

    it("signs in with a recovery code", async () => {
      await signOut();
      await passPasswordStep();
      await submitCodeAndExpectItems(recoveryCodes[0]!);
    });

    it("rejects a used recovery code", async () => {
      await signOut();
      await passPasswordStep();
      await page.fill('main input[name="code"]', recoveryCodes[0]!);
      await page.locator('main button[type="submit"]').click();
      await page
        .locator(
          'main [role="alert"]:has-text("incorrect or was already used")',
        )
        .waitFor();
      expect(new URL(page.url()).pathname).toBe("/login/2fa");
      expect(await prisma.session.count()).toBe(0);
      await submitCodeAndExpectItems(recoveryCodes[1]!);
    });

    it("turns off with password and code", async () => {
      await page.goto(`${server.baseUrl}/settings/security`);
      const form = page.locator("form", {
        has: page.locator('input[name="intent"][value="disable"]'),
      });
      await form.locator('input[name="password"]').fill(PASSWORD);
      await form.locator('input[name="code"]').fill(recoveryCodes[2]!);
      await form
        .locator('button:has-text("Turn off two-step sign-in")')
        .click();
      await page
        .locator('[role="status"]:has-text("Two-step sign-in is off.")')
        .waitFor();
      expect(await prisma.twoFactorCredential.count()).toBe(0);
      expect(await prisma.recoveryCode.count()).toBe(0);
      // The rejected recovery code above is a 400 response, which Chromium
      // logs; anything else, such as a CSP violation, is a failure.
      expect(
        consoleProblems.filter(
          (problem) => !problem.includes("status of 400 (Bad Request)"),
        ),
      ).toEqual([]);
    });
  },
);

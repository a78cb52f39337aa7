import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { encryptTotpSecret } from "~/modules/two-factor/crypto.server";
import { generateTotpSecret } from "~/modules/two-factor/totp.server";
import { prisma } from "~/utils/db.server";

import { STRONG_PASSWORD, TestClient } from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { ReceivedMail, TestSmtpServer } from "../support/smtp";
import { createSmtpServer, deliverQueuedEmail } from "../support/smtp";
import { TOTP_STEP_MS, totpCode } from "../support/totp";

const SUBJECT = "New sign-in to your Dokodo account";
const DAY_MS = 24 * 60 * 60_000;

/** A browser and the client address it connects from. */
type Device = { userAgent: string; ip: string };

const CHROME_ON_LINUX: Device = {
  userAgent:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  ip: "198.51.100.23",
};
const FIREFOX_ON_WINDOWS: Device = {
  userAgent:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  ip: "203.0.113.57",
};

let server: TestServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await createSmtpServer();
  await smtp.start();
  // One trusted proxy hop, so X-Forwarded-For sets the client address.
  server = await startTestServer({ SMTP_URL: smtp.url, TRUST_PROXY: "1" });
});

afterAll(async () => {
  await server.close();
  await smtp.stop();
});

function deviceHeaders(device: Device): Record<string, string> {
  return { "user-agent": device.userAgent, "x-forwarded-for": device.ip };
}

/** Registers an account through the form without signing in. */
async function register(email: string): Promise<void> {
  const client = new TestClient(server.baseUrl);
  const response = await client.postForm("/register", {
    name: "Device Owner",
    email,
    password: STRONG_PASSWORD,
  });
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).toBe("/check-email");
}

/** Posts the sign-in form from `device` and returns the client and response. */
async function submitSignIn(
  email: string,
  device: Device,
  password = STRONG_PASSWORD,
): Promise<{ client: TestClient; response: Response }> {
  const client = new TestClient(server.baseUrl);
  const response = await client.postForm(
    "/login",
    { email, password },
    { headers: deviceHeaders(device) },
  );
  return { client, response };
}

/** Signs in from `device` and expects the redirect into the app. */
async function signIn(email: string, device: Device): Promise<void> {
  const { response } = await submitSignIn(email, device);
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).toBe("/items");
}

/** Sends queued email and returns the new-device notices sent to `email`. */
async function noticesTo(email: string): Promise<ReceivedMail[]> {
  await deliverQueuedEmail();
  return smtp.messagesTo(email).filter((mail) => mail.subject === SUBJECT);
}

async function knownDevicesOf(email: string) {
  return prisma.knownDevice.findMany({ where: { user: { email } } });
}

describe("new-device email", () => {
  it("is not sent for the first sign-in", async () => {
    const email = "first@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);

    expect(await noticesTo(email)).toHaveLength(0);
    const devices = await knownDevicesOf(email);
    expect(devices).toHaveLength(1);
    expect(devices[0]!.deviceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is not sent for the same browser and address", async () => {
    const email = "same@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);
    await signIn(email, CHROME_ON_LINUX);
    // Another host of the same /24 is the same network.
    await signIn(email, { ...CHROME_ON_LINUX, ip: "198.51.100.200" });

    expect(await noticesTo(email)).toHaveLength(0);
    expect(await knownDevicesOf(email)).toHaveLength(1);
  });

  it("is sent once for a new browser and network", async () => {
    const email = "new-device@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);
    await signIn(email, FIREFOX_ON_WINDOWS);

    const notices = await noticesTo(email);
    expect(notices).toHaveLength(1);
    const [notice] = notices;
    expect(notice!.to).toEqual([email]);
    expect(notice!.text).toContain("Hello Device Owner,");
    expect(notice!.text).toContain("Browser: Firefox 133 on Windows 10");
    expect(notice!.text).toContain("IP address: 203.0.x.x");
    expect(notice!.text).toMatch(/Time: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(notice!.text).toContain(`${server.baseUrl}/settings/sessions`);
    expect(notice!.text).toContain("change your password now");
    expect(notice!.text).toContain(`${server.baseUrl}/settings/password`);
    expect(notice!.text).not.toContain(FIREFOX_ON_WINDOWS.ip);
    expect(notice!.text).not.toContain("203.0.113");
    expect(notice!.html).toContain("IP address: 203.0.x.x");
    expect(notice!.html).not.toContain("203.0.113");

    // The pair is known from now on.
    await signIn(email, FIREFOX_ON_WINDOWS);
    expect(await noticesTo(email)).toHaveLength(1);
    expect(await knownDevicesOf(email)).toHaveLength(2);
  });

  it("is sent for a known browser on a new network", async () => {
    const email = "new-network@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);
    await signIn(email, { ...CHROME_ON_LINUX, ip: "192.0.2.10" });

    const notices = await noticesTo(email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain("IP address: 192.0.x.x");
  });

  it("treats an IPv6 /48 as one network", async () => {
    const email = "ipv6@example.com";
    await register(email);
    await signIn(email, { ...CHROME_ON_LINUX, ip: "2001:db8:1234:5678::1" });
    await signIn(email, { ...CHROME_ON_LINUX, ip: "2001:db8:1234:abcd::2" });
    expect(await noticesTo(email)).toHaveLength(0);

    await signIn(email, { ...CHROME_ON_LINUX, ip: "2001:db8:99::1" });
    const notices = await noticesTo(email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain("IP address: 2001:db8:…");
    expect(notices[0]!.text).not.toContain("2001:db8:99");
  });

  it("is sent for a pair unseen for 90 days", async () => {
    const email = "stale@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);
    await signIn(email, FIREFOX_ON_WINDOWS);
    expect(await noticesTo(email)).toHaveLength(1);
    await prisma.knownDevice.updateMany({
      where: { user: { email } },
      data: { lastSeenAt: new Date(Date.now() - 91 * DAY_MS) },
    });

    await signIn(email, CHROME_ON_LINUX);

    expect(await noticesTo(email)).toHaveLength(2);
    // The Firefox row, unseen for 91 days, was deleted by that sign-in.
    const devices = await knownDevicesOf(email);
    expect(devices).toHaveLength(1);
    expect(devices[0]!.lastSeenAt.getTime()).toBeGreaterThan(
      Date.now() - DAY_MS,
    );
  });

  it("is not sent for a failed sign-in", async () => {
    const email = "failed@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);

    const { response } = await submitSignIn(
      email,
      FIREFOX_ON_WINDOWS,
      "Wrong-Password-99",
    );
    expect(response.status).toBe(400);

    expect(await noticesTo(email)).toHaveLength(0);
    expect(await knownDevicesOf(email)).toHaveLength(1);
  });

  it("is sent after the second sign-in step", async () => {
    const email = "two-step@example.com";
    await register(email);
    await signIn(email, CHROME_ON_LINUX);
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    const secret = generateTotpSecret();
    await prisma.twoFactorCredential.create({
      data: {
        userId: user.id,
        secretEncrypted: encryptTotpSecret(secret, user.id),
        confirmedAt: new Date(),
      },
    });

    const { client, response } = await submitSignIn(email, FIREFOX_ON_WINDOWS);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login/2fa");
    expect(await noticesTo(email)).toHaveLength(0);

    const wrongCode = await client.postForm(
      "/login/2fa",
      { code: totpCode(secret, Date.now() + 10 * TOTP_STEP_MS) },
      { headers: deviceHeaders(FIREFOX_ON_WINDOWS) },
    );
    expect(wrongCode.status).toBe(400);
    expect(await noticesTo(email)).toHaveLength(0);

    const rightCode = await client.postForm(
      "/login/2fa",
      { code: totpCode(secret) },
      { headers: deviceHeaders(FIREFOX_ON_WINDOWS) },
    );
    expect(rightCode.status).toBe(302);
    expect(rightCode.headers.get("location")).toBe("/items");

    const notices = await noticesTo(email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain("Browser: Firefox 133 on Windows 10");
    expect(notices[0]!.text).toContain("IP address: 203.0.x.x");
  });
});

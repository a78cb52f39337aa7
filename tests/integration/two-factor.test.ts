import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { decryptTotpSecret } from "~/modules/two-factor/crypto.server";
import { consumeRecoveryCode } from "~/modules/two-factor/recovery-codes.server";
import { prisma } from "~/utils/db.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import { fieldErrors } from "../support/html";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import { decodeBase32, TOTP_STEP_MS, totpCode } from "../support/totp";

/** Codes one challenge accepts (CHALLENGE_MAX_ATTEMPTS). */
const CHALLENGE_MAX_ATTEMPTS = 5;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

type TwoFactorAccount = {
  email: string;
  userId: string;
  secret: string;
  recoveryCodes: string[];
  client: TestClient;
};

async function userIdOf(email: string): Promise<string> {
  const user = await prisma.user.findUniqueOrThrow({ where: { email } });
  return user.id;
}

/** Registers, signs in and marks the address verified in the database. */
async function createVerifiedAccount(email: string): Promise<TestClient> {
  const client = await registerAccount(server.baseUrl, { email });
  await prisma.user.update({
    where: { email },
    data: { emailVerifiedAt: new Date() },
  });
  return client;
}

function recoveryCodesIn(body: string): string[] {
  return [...body.matchAll(/data-recovery-code="([^"]+)"/g)].map(
    (match) => match[1]!,
  );
}

/** Starts setup, reads the key from the page and confirms with a code. */
async function enableTwoFactor(email: string): Promise<TwoFactorAccount> {
  const client = await createVerifiedAccount(email);
  const start = await client.postForm("/settings/security", {
    intent: "start",
  });
  expect(start.status).toBe(302);
  const { body } = await client.get("/settings/security");
  const secret = body
    .match(/data-testid="totp-manual-key"[^>]*>([A-Z2-7 ]+)</)![1]!
    .replace(/ /g, "");
  const confirm = await client.postForm("/settings/security", {
    intent: "confirm",
    code: totpCode(secret),
  });
  expect(confirm.status).toBe(200);
  const recoveryCodes = recoveryCodesIn(await confirm.text());
  expect(recoveryCodes).toHaveLength(10);
  return {
    email,
    userId: await userIdOf(email),
    secret,
    recoveryCodes,
    client,
  };
}

/**
 * Moves the stored step back, as if the last accepted code were a minute
 * old, so the test can sign in again within the same 30 seconds.
 */
async function forgetLastTotpStep(userId: string): Promise<void> {
  await prisma.twoFactorCredential.update({
    where: { userId },
    data: { lastTotpStep: Math.floor(Date.now() / TOTP_STEP_MS) - 2 },
  });
}

/** Signs in with the password and returns a client holding a challenge. */
async function passPasswordStep(email: string): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  const response = await client.postForm("/login", {
    email,
    password: STRONG_PASSWORD,
  });
  expect(response.status).toBe(302);
  expect(response.headers.get("location")).toBe("/login/2fa");
  return client;
}

describe("setup", () => {
  it("requires a verified email", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "unverified@example.com",
    });
    const { body } = await client.get("/settings/security");
    expect(body).toContain("Confirm your email address before you turn on");
    expect(body).toContain('action="/verify-email/resend"');

    const response = await client.postForm("/settings/security", {
      intent: "start",
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(
      "Confirm your email address before you turn on two-step sign-in",
    );
    const userId = await userIdOf("unverified@example.com");
    expect(await prisma.twoFactorCredential.count({ where: { userId } })).toBe(
      0,
    );
  });

  it("stays off until a code confirms it", async () => {
    const email = "setup@example.com";
    const client = await createVerifiedAccount(email);
    const userId = await userIdOf(email);
    await client.postForm("/settings/security", { intent: "start" });

    const { body } = await client.get("/settings/security");
    expect(body).toMatch(/src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    const secret = body
      .match(/data-testid="totp-manual-key"[^>]*>([A-Z2-7 ]+)</)![1]!
      .replace(/ /g, "");
    expect(decodeBase32(secret)).toHaveLength(20);

    const pending = await prisma.twoFactorCredential.findUniqueOrThrow({
      where: { userId },
    });
    expect(pending.confirmedAt).toBeNull();
    expect(pending.secretEncrypted).not.toContain(secret);
    expect(pending.secretEncrypted).not.toContain(
      decodeBase32(secret).toString("hex"),
    );
    expect(pending.secretEncrypted).not.toContain(
      decodeBase32(secret).toString("base64url"),
    );
    expect(decryptTotpSecret(pending.secretEncrypted, userId)).toBe(secret);

    // Still off: the password alone signs in.
    const before = new TestClient(server.baseUrl);
    const signIn = await before.postForm("/login", {
      email,
      password: STRONG_PASSWORD,
    });
    expect(signIn.headers.get("location")).toBe("/items");

    const wrongCode = totpCode(secret, Date.now() + 5 * TOTP_STEP_MS);
    const wrong = await client.postForm("/settings/security", {
      intent: "confirm",
      code: wrongCode,
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("That code does not match.");

    const confirm = await client.postForm("/settings/security", {
      intent: "confirm",
      code: totpCode(secret),
    });
    expect(confirm.status).toBe(200);
    const confirmBody = await confirm.text();
    const codes = recoveryCodesIn(confirmBody);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    expect(confirmBody).toContain('download="dokodo-recovery-codes.txt"');
    expect(confirmBody).toContain('href="data:text/plain;charset=utf-8,');

    const credential = await prisma.twoFactorCredential.findUniqueOrThrow({
      where: { userId },
    });
    expect(credential.confirmedAt).not.toBeNull();
    expect(credential.lastTotpStep).toBeGreaterThan(0);
    const rows = await prisma.recoveryCode.findMany({ where: { userId } });
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(codes.map((code) => code.replace("-", ""))).not.toContain(
        row.codeHash,
      );
    }
    expect(
      await prisma.auditLog.count({
        where: { actorId: userId, action: "TWO_FACTOR_ENABLED" },
      }),
    ).toBe(1);

    // The codes are shown once: the page never lists them again.
    const { body: later } = await client.get("/settings/security");
    expect(recoveryCodesIn(later)).toHaveLength(0);
    expect(later.replaceAll("<!-- -->", "")).toContain(
      "10 of 10 recovery codes are unused",
    );
  });
});

describe("sign-in challenge", () => {
  let account: TwoFactorAccount;

  beforeAll(async () => {
    account = await enableTwoFactor("challenge@example.com");
  });

  it("creates no session before the code", async () => {
    await prisma.session.deleteMany({ where: { userId: account.userId } });
    const client = await passPasswordStep(account.email);
    expect(client.getCookie("dokodo_session")).toBeUndefined();
    const token = client.getCookie("dokodo_2fa");
    expect(token).toBeTruthy();
    expect(
      await prisma.session.count({ where: { userId: account.userId } }),
    ).toBe(0);
    const challenge = await prisma.signInChallenge.findFirstOrThrow({
      where: { userId: account.userId },
      orderBy: { createdAt: "desc" },
    });
    expect(challenge.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(decodeURIComponent(token!)).not.toContain(challenge.tokenHash);
    expect(challenge.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(
      5 * 60_000,
    );

    for (const path of [
      "/items",
      "/locations",
      "/settings/profile",
      "/settings/security",
      "/settings/sessions",
      "/admin",
    ]) {
      const response = await client.request(path);
      expect(response.status, path).toBe(302);
      expect(response.headers.get("location"), path).toMatch(/^\/login\?/);
    }
    const { response: page } = await client.get("/login/2fa");
    expect(page.status).toBe(200);
  });

  it("signs in with a TOTP code", async () => {
    await forgetLastTotpStep(account.userId);
    const client = await passPasswordStep(account.email);
    const challenges = await prisma.signInChallenge.count({
      where: { userId: account.userId },
    });
    const response = await client.postForm("/login/2fa", {
      code: totpCode(account.secret),
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/items");
    expect(client.getCookie("dokodo_2fa")).toBeUndefined();
    expect(client.getCookie("dokodo_session")).toBeTruthy();
    expect((await client.request("/items")).status).toBe(200);
    expect(
      await prisma.signInChallenge.count({ where: { userId: account.userId } }),
    ).toBe(challenges - 1);
    const event = await prisma.auditLog.findFirstOrThrow({
      where: { actorId: account.userId, action: "SIGN_IN_SUCCEEDED" },
      orderBy: { createdAt: "desc" },
    });
    expect(event.newValues).toEqual({ secondFactor: "totp" });
  });

  it("rejects a replayed TOTP code", async () => {
    await forgetLastTotpStep(account.userId);
    const code = totpCode(account.secret);
    const first = await passPasswordStep(account.email);
    expect(
      (await first.postForm("/login/2fa", { code })).headers.get("location"),
    ).toBe("/items");

    const second = await passPasswordStep(account.email);
    const replay = await second.postForm("/login/2fa", { code });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain(
      "That code is incorrect or was already used. 4 attempts left.",
    );
    expect(second.getCookie("dokodo_session")).toBeUndefined();

    // The previous step's code is within the window but not newer either.
    const older = totpCode(account.secret, Date.now() - TOTP_STEP_MS);
    expect((await second.postForm("/login/2fa", { code: older })).status).toBe(
      400,
    );
  });

  it("accepts one of 20 parallel TOTP submissions", async () => {
    await forgetLastTotpStep(account.userId);
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => passPasswordStep(account.email)),
    );
    const tokens = await Promise.all(
      clients.map((client) => client.fetchCsrfToken("/login/2fa")),
    );
    const code = totpCode(account.secret);
    const responses = await Promise.all(
      clients.map((client, index) =>
        client.postForm("/login/2fa", { code }, { csrf: tokens[index]! }),
      ),
    );
    const signedIn = responses.filter(
      (response) => response.headers.get("location") === "/items",
    );
    expect(signedIn).toHaveLength(1);
    expect(
      responses.filter((response) => response.status === 400),
    ).toHaveLength(19);
  });

  it("accepts one of 20 parallel verifyTotpCode calls", async () => {
    // Imported late: the module reads the configuration when it loads.
    const { verifyTotpCode } =
      await import("~/modules/two-factor/two-factor.server");
    await forgetLastTotpStep(account.userId);
    const code = totpCode(account.secret);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => verifyTotpCode(account.userId, code)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("signs in with a recovery code once", async () => {
    const code = account.recoveryCodes[0]!;
    const client = await passPasswordStep(account.email);
    // Upper case and spaces are accepted as typed from paper.
    const response = await client.postForm("/login/2fa", {
      code: ` ${code.toUpperCase()} `,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/items");
    expect(
      await prisma.auditLog.count({
        where: { actorId: account.userId, action: "RECOVERY_CODE_USED" },
      }),
    ).toBe(1);

    const again = await passPasswordStep(account.email);
    const reuse = await again.postForm("/login/2fa", { code });
    expect(reuse.status).toBe(400);
    expect(await reuse.text()).toContain("incorrect or was already used");
  });

  it("accepts one of 20 parallel recovery-code submissions", async () => {
    const code = account.recoveryCodes[1]!;
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => passPasswordStep(account.email)),
    );
    const tokens = await Promise.all(
      clients.map((client) => client.fetchCsrfToken("/login/2fa")),
    );
    const responses = await Promise.all(
      clients.map((client, index) =>
        client.postForm("/login/2fa", { code }, { csrf: tokens[index]! }),
      ),
    );
    expect(
      responses.filter(
        (response) => response.headers.get("location") === "/items",
      ),
    ).toHaveLength(1);
    expect(
      responses.filter((response) => response.status === 400),
    ).toHaveLength(19);
  });

  it("uses a recovery code once in 20 parallel calls", async () => {
    const code = account.recoveryCodes[2]!;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        consumeRecoveryCode(account.userId, code),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const used = await prisma.recoveryCode.count({
      where: { userId: account.userId, usedAt: { not: null } },
    });
    expect(used).toBe(3);
  });

  it("sends an expired challenge back to /login", async () => {
    await forgetLastTotpStep(account.userId);
    const client = await passPasswordStep(account.email);
    await prisma.signInChallenge.updateMany({
      where: { userId: account.userId },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    const challenges = await prisma.signInChallenge.count({
      where: { userId: account.userId },
    });
    const response = await client.postForm(
      "/login/2fa",
      { code: totpCode(account.secret) },
      { csrf: await client.fetchCsrfToken("/login") },
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      "/login?notice=two-factor-expired",
    );
    expect(client.getCookie("dokodo_2fa")).toBeUndefined();
    expect(client.getCookie("dokodo_session")).toBeUndefined();
    expect(
      await prisma.signInChallenge.count({ where: { userId: account.userId } }),
    ).toBe(challenges - 1);
    const { body } = await client.get("/login?notice=two-factor-expired");
    expect(body).toContain(
      "Your sign-in timed out before a code was entered. Sign in again.",
    );
  });

  it("ends after five wrong codes", async () => {
    await forgetLastTotpStep(account.userId);
    await prisma.session.deleteMany({ where: { userId: account.userId } });
    const failuresBefore = await prisma.auditLog.count({
      where: {
        targetId: account.userId,
        action: "TWO_FACTOR_CHALLENGE_FAILED",
      },
    });
    const client = await passPasswordStep(account.email);
    const wrong = totpCode(account.secret, Date.now() + 10 * TOTP_STEP_MS);
    for (let attempt = 1; attempt < CHALLENGE_MAX_ATTEMPTS; attempt += 1) {
      const response = await client.postForm("/login/2fa", { code: wrong });
      expect(response.status, `attempt ${attempt}`).toBe(400);
      const left = CHALLENGE_MAX_ATTEMPTS - attempt;
      expect(await response.text()).toContain(
        `${left} ${left === 1 ? "attempt" : "attempts"} left.`,
      );
    }
    const last = await client.postForm("/login/2fa", { code: wrong });
    expect(last.status).toBe(302);
    expect(last.headers.get("location")).toBe(
      "/login?notice=two-factor-attempts",
    );

    // The right code no longer helps: the challenge is gone.
    const late = await client.postForm(
      "/login/2fa",
      { code: totpCode(account.secret) },
      { csrf: await client.fetchCsrfToken("/login") },
    );
    expect(late.headers.get("location")).toBe(
      "/login?notice=two-factor-expired",
    );
    expect(
      await prisma.session.count({ where: { userId: account.userId } }),
    ).toBe(0);
    expect(
      await prisma.auditLog.count({
        where: {
          targetId: account.userId,
          action: "TWO_FACTOR_CHALLENGE_FAILED",
        },
      }),
    ).toBe(failuresBefore + CHALLENGE_MAX_ATTEMPTS);
  });

  it("caps parallel wrong codes at five", async () => {
    const failures = () =>
      prisma.auditLog.count({
        where: {
          targetId: account.userId,
          action: "TWO_FACTOR_CHALLENGE_FAILED",
        },
      });
    const failuresBefore = await failures();
    const client = await passPasswordStep(account.email);
    const csrf = await client.fetchCsrfToken("/login/2fa");
    const wrong = totpCode(account.secret, Date.now() + 10 * TOTP_STEP_MS);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.postForm("/login/2fa", { code: wrong }, { csrf }),
      ),
    );
    expect(await failures()).toBe(failuresBefore + CHALLENGE_MAX_ATTEMPTS);
    // A 400 page renders only while the challenge still exists; once the
    // fifth attempt ended it, every response redirects to /login.
    for (const response of responses) {
      if (response.status === 400) continue;
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toMatch(
        /^\/login\?notice=two-factor-(attempts|expired)$/,
      );
    }
    expect(client.getCookie("dokodo_session")).toBeUndefined();
  });

  it("does not count a malformed code", async () => {
    const client = await passPasswordStep(account.email);
    for (const code of ["abc", "12-34", "1234567", ""]) {
      const response = await client.postForm("/login/2fa", { code });
      expect(response.status, code).toBe(400);
      const body = await response.text();
      expect(fieldErrors(body, "code"), code).toEqual([
        "Enter the 6-digit code from your authenticator app or one of your recovery codes, such as abcde-12345. Both are accepted.",
      ]);
      expect(body, code).not.toContain('role="alert"');
    }
    const challenge = await prisma.signInChallenge.findFirstOrThrow({
      where: { userId: account.userId },
      orderBy: { createdAt: "desc" },
    });
    expect(challenge.attempts).toBe(0);
  });

  it("ignores a forged challenge cookie", async () => {
    const client = new TestClient(server.baseUrl);
    const response = await client.request("/login/2fa", {
      headers: { cookie: "dokodo_2fa=forged" },
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      "/login?notice=two-factor-expired",
    );
  });

  it("keeps the redirect target", async () => {
    await forgetLastTotpStep(account.userId);
    const client = new TestClient(server.baseUrl);
    const signIn = await client.postForm("/login", {
      email: account.email,
      password: STRONG_PASSWORD,
      redirectTo: "/locations",
    });
    expect(signIn.headers.get("location")).toBe("/login/2fa");
    const response = await client.postForm("/login/2fa", {
      code: totpCode(account.secret),
    });
    expect(response.headers.get("location")).toBe("/locations");
  });
});

describe("recovery codes and turning off", () => {
  let account: TwoFactorAccount;

  beforeAll(async () => {
    account = await enableTwoFactor("manage@example.com");
  });

  it("regenerates codes with the password", async () => {
    const wrong = await account.client.postForm("/settings/security", {
      intent: "regenerate",
      password: "Wrong-password-1",
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("The password is incorrect.");

    const response = await account.client.postForm("/settings/security", {
      intent: "regenerate",
      password: STRONG_PASSWORD,
    });
    expect(response.status).toBe(200);
    const fresh = recoveryCodesIn(await response.text());
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(account.recoveryCodes[0]);
    expect(
      await prisma.recoveryCode.count({ where: { userId: account.userId } }),
    ).toBe(10);
    expect(
      await consumeRecoveryCode(account.userId, account.recoveryCodes[0]!),
    ).toBe(false);
    expect(
      await prisma.auditLog.count({
        where: {
          actorId: account.userId,
          action: "RECOVERY_CODES_REGENERATED",
        },
      }),
    ).toBe(1);
    account.recoveryCodes = fresh;
  });

  it("turns off with password and code", async () => {
    await forgetLastTotpStep(account.userId);
    const other = await passPasswordStep(account.email);
    await other.postForm("/login/2fa", { code: account.recoveryCodes[0]! });
    expect(other.getCookie("dokodo_session")).toBeTruthy();

    const wrongPassword = await account.client.postForm("/settings/security", {
      intent: "disable",
      password: "Wrong-password-1",
      code: account.recoveryCodes[1]!,
    });
    expect(wrongPassword.status).toBe(400);
    expect(await wrongPassword.text()).toContain("The password is incorrect.");

    const wrongCode = await account.client.postForm("/settings/security", {
      intent: "disable",
      password: STRONG_PASSWORD,
      code: "zzzzz-zzzzz",
    });
    expect(wrongCode.status).toBe(400);
    expect(await wrongCode.text()).toContain(
      "That code is incorrect or was already used.",
    );

    const response = await account.client.postForm("/settings/security", {
      intent: "disable",
      password: STRONG_PASSWORD,
      code: totpCode(account.secret),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Two-step sign-in is off.");

    expect(
      await prisma.twoFactorCredential.count({
        where: { userId: account.userId },
      }),
    ).toBe(0);
    expect(
      await prisma.recoveryCode.count({ where: { userId: account.userId } }),
    ).toBe(0);
    expect((await other.request("/items")).status).toBe(302);
    expect((await account.client.request("/items")).status).toBe(200);
    expect(
      await prisma.auditLog.count({
        where: { actorId: account.userId, action: "TWO_FACTOR_DISABLED" },
      }),
    ).toBe(1);
    const email = await prisma.emailOutbox.findFirstOrThrow({
      where: { recipient: account.email, kind: "two-factor-disabled" },
    });
    expect(email.subject).toBe(
      "Two-step sign-in was turned off for your Dokodo account",
    );

    const signIn = await new TestClient(server.baseUrl).postForm("/login", {
      email: account.email,
      password: STRONG_PASSWORD,
    });
    expect(signIn.headers.get("location")).toBe("/items");
  });
});

describe("admin area", () => {
  it("is not found for other users", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "member@example.com",
    });
    expect((await client.request("/admin")).status).toBe(404);
    const anonymous = await new TestClient(server.baseUrl).request("/admin");
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toBe(
      "/login?redirectTo=%2Fadmin",
    );
  });

  it("sends admins without 2FA to setup", async () => {
    const client = await createVerifiedAccount("admin@example.com");
    await prisma.user.update({
      where: { email: "admin@example.com" },
      data: { role: "ADMIN" },
    });
    const response = await client.request("/admin");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      "/settings/security?required=admin",
    );
    const { body } = await client.get("/settings/security?required=admin");
    expect(body).toContain("The admin area requires two-step sign-in.");
  });

  it("opens for admins with 2FA", async () => {
    const account = await enableTwoFactor("admin2@example.com");
    await prisma.user.update({
      where: { id: account.userId },
      data: { role: "ADMIN" },
    });
    const { response, body } = await account.client.get("/admin");
    expect(response.status).toBe(200);
    expect(body).toContain('data-testid="admin-summary"');
  });
});

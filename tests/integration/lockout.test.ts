import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import {
  beginSignInAttempt,
  unlockAccount,
  unlockAddress,
} from "~/modules/security/lockout.server";
import { prisma } from "~/utils/db.server";
import type { RequestInfo } from "~/utils/request-context.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

const run = promisify(execFile);

/**
 * Per-test limit: each sign-in runs a cost-12 bcrypt comparison, and some
 * tests make a dozen of them on a loaded two-core machine.
 */
const SLOW = { timeout: 90_000 };

const WRONG_PASSWORD = "Wrong-password-1";
const INCORRECT = "Email or password is incorrect.";

let server: TestServer;
// Imported once the configuration exists: the module chain creates the
// session cookie, which reads it, at import time.
let verifySecondFactor: typeof import("~/modules/security/sign-in.server").verifySecondFactor;

beforeAll(async () => {
  server = await startTestServer({
    LOCKOUT_THRESHOLD: "5",
    LOCKOUT_BASE_DELAY_SECONDS: "30",
    LOCKOUT_MAX_DELAY_SECONDS: "900",
    LOCKOUT_HOURLY_FAILURE_LIMIT: "100",
    LOCKOUT_IP_ACCOUNT_LIMIT: "3",
    LOCKOUT_IP_WINDOW_SECONDS: "900",
    // Each request below claims its own client address, so the address
    // block only ever trips in the test that aims for it.
    TRUST_PROXY: "1",
  });
  ({ verifySecondFactor } = await import("~/modules/security/sign-in.server"));
});

afterAll(async () => {
  await server.close();
});

let addressCounter = 0;

/** Returns a client address no other request of this file uses. */
function nextAddress(): string {
  addressCounter += 1;
  return `198.51.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`;
}

type SignIn = { response: Response; body: string };

async function signIn(
  email: string,
  password: string,
  address: string = nextAddress(),
): Promise<SignIn> {
  const client = new TestClient(server.baseUrl);
  const response = await client.postForm(
    "/login",
    { email, password },
    { headers: { "x-forwarded-for": address } },
  );
  return { response, body: await response.text() };
}

async function failSignIns(email: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const { response } = await signIn(email, WRONG_PASSWORD);
    expect(response.status).toBe(400);
  }
}

function emailHash(email: string): string {
  return createHash("sha256").update(email).digest("hex");
}

function findLockout(email: string) {
  return prisma.signInLockout.findUnique({
    where: { emailHash: emailHash(email) },
  });
}

/** Seconds from now until `date`. */
function secondsUntil(date: Date | null | undefined): number {
  return date ? (date.getTime() - Date.now()) / 1000 : Number.NaN;
}

/** Request details for calls made without HTTP, from a fresh address. */
function requestInfo(): RequestInfo {
  return {
    requestId: "test-request",
    ipAddress: nextAddress(),
    userAgent: "vitest",
  };
}

/**
 * Returns a page with the values that differ on every response masked: the
 * request ID, the submitted email, and long opaque tokens (CSRF token, CSP
 * nonce, honeypot timestamp).
 */
function maskVolatile(body: string, requestId: string, email: string): string {
  return body
    .replaceAll(requestId, "<request-id>")
    .replaceAll(email, "<email>")
    .replace(/[A-Za-z0-9+/=_.-]{20,}/g, "<token>");
}

function cookieNames(response: Response): string[] {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split("=")[0]!)
    .sort();
}

describe("account lockout", SLOW, () => {
  it("locks after five failures", async () => {
    const email = "five@example.com";
    await registerAccount(server.baseUrl, { email });
    await failSignIns(email, 4);
    const beforeLock = await findLockout(email);
    expect(beforeLock?.consecutiveFailures).toBe(4);
    expect(beforeLock?.lockedUntil).toBeNull();

    await failSignIns(email, 1);
    const locked = await findLockout(email);
    expect(locked?.consecutiveFailures).toBe(5);
    expect(secondsUntil(locked?.lockedUntil)).toBeGreaterThan(28);
    expect(secondsUntil(locked?.lockedUntil)).toBeLessThanOrEqual(30);

    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    const audits = await prisma.auditLog.findMany({
      where: { action: "ACCOUNT_LOCKED", targetId: user.id },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]!.newValues).toMatchObject({ consecutiveFailures: 5 });
  });

  it("refuses the right password while locked", async () => {
    const email = "right-while-locked@example.com";
    await registerAccount(server.baseUrl, { email });
    await failSignIns(email, 5);

    const { response, body } = await signIn(email, STRONG_PASSWORD);
    expect(response.status).toBe(400);
    expect(body).toContain(INCORRECT);
    expect(cookieNames(response)).not.toContain("dokodo_session");
    // A rejected attempt is not counted, so waiting out the lock works.
    expect((await findLockout(email))?.consecutiveFailures).toBe(5);
  });

  it("answers locked, unknown and wrong alike", async () => {
    const locked = "alike-locked@example.com";
    const known = "alike-known1@example.com";
    const unknown = "alike-unknow@example.com";
    await registerAccount(server.baseUrl, { email: locked });
    await registerAccount(server.baseUrl, { email: known });
    await failSignIns(locked, 5);

    const attempts = [
      { email: locked, ...(await signIn(locked, STRONG_PASSWORD)) },
      { email: unknown, ...(await signIn(unknown, WRONG_PASSWORD)) },
      { email: known, ...(await signIn(known, WRONG_PASSWORD)) },
    ];
    const [first, ...others] = attempts.map(({ email, response, body }) => ({
      status: response.status,
      cookies: cookieNames(response),
      body: maskVolatile(body, response.headers.get("x-request-id")!, email),
    }));
    expect(first!.status).toBe(400);
    expect(first!.body).toContain(INCORRECT);
    for (const other of others) {
      expect(other.status).toBe(first!.status);
      expect(other.cookies).toEqual(first!.cookies);
      expect(other.body).toBe(first!.body);
    }
  });

  it("clears the count on success", async () => {
    const email = "reset-count@example.com";
    await registerAccount(server.baseUrl, { email });
    await failSignIns(email, 4);
    const { response } = await signIn(email, STRONG_PASSWORD);
    expect(response.status).toBe(302);
    const cleared = await findLockout(email);
    expect(cleared?.consecutiveFailures).toBe(0);
    expect(cleared?.lockedUntil).toBeNull();
    // The hourly count keeps the four failures, minus the success.
    expect(cleared?.hourFailures).toBe(4);

    await failSignIns(email, 4);
    expect((await findLockout(email))?.lockedUntil).toBeNull();
    await failSignIns(email, 1);
    expect((await findLockout(email))?.lockedUntil).not.toBeNull();
  });

  it("admits the right password after the lock", async () => {
    const email = "after-lock@example.com";
    await registerAccount(server.baseUrl, { email });
    await failSignIns(email, 5);
    await prisma.signInLockout.update({
      where: { emailHash: emailHash(email) },
      data: { lockedUntil: new Date(Date.now() - 1_000) },
    });
    const { response } = await signIn(email, STRONG_PASSWORD);
    expect(response.status).toBe(302);
    expect((await findLockout(email))?.consecutiveFailures).toBe(0);
  });

  it("doubles the delay up to the cap", async () => {
    const email = "doubling@example.com";
    await failSignIns(email, 5);
    const expected: [number, number][] = [
      [6, 60],
      [7, 120],
      [8, 240],
      [9, 480],
      [10, 900],
      [11, 900],
    ];
    for (const [failures, seconds] of expected) {
      await prisma.signInLockout.update({
        where: { emailHash: emailHash(email) },
        data: { lockedUntil: new Date(Date.now() - 1_000) },
      });
      await failSignIns(email, 1);
      const row = await findLockout(email);
      expect(row?.consecutiveFailures).toBe(failures);
      expect(secondsUntil(row?.lockedUntil)).toBeGreaterThan(seconds - 3);
      expect(secondsUntil(row?.lockedUntil)).toBeLessThanOrEqual(seconds);
    }
  });

  it("caps failures per hour", async () => {
    const email = "hourly@example.com";
    const hourStartedAt = new Date(Date.now() - 10 * 60_000);
    await prisma.signInLockout.create({
      data: {
        emailHash: emailHash(email),
        consecutiveFailures: 0,
        hourStartedAt,
        hourFailures: 99,
        lastFailureAt: hourStartedAt,
      },
    });
    await failSignIns(email, 1);
    const row = await findLockout(email);
    expect(row?.hourFailures).toBe(100);
    expect(row?.lockedUntil?.getTime()).toBe(
      hourStartedAt.getTime() + 3_600_000,
    );
  });

  it("admits exactly five of 20 parallel attempts", async () => {
    const email = "parallel-gate@example.com";
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () =>
        beginSignInAttempt(email, nextAddress()),
      ),
    );
    const admitted = attempts.filter((attempt) => attempt.admitted);
    expect(admitted).toHaveLength(5);
    expect(
      admitted.map((attempt) => attempt.consecutiveFailures).sort(),
    ).toEqual([1, 2, 3, 4, 5]);
    const row = await findLockout(email);
    expect(row?.consecutiveFailures).toBe(5);
    expect(row?.hourFailures).toBe(5);
    expect(row?.lockedUntil).not.toBeNull();
  });

  it("answers parallel sign-ins alike", async () => {
    // One more than the threshold: the last one finds the email locked.
    // Kept small because every sign-in runs bcrypt on the event loop.
    const email = "parallel@example.com";
    const results = await Promise.all(
      Array.from({ length: 6 }, () => signIn(email, WRONG_PASSWORD)),
    );
    for (const { response, body } of results) {
      expect(response.status).toBe(400);
      expect(body).toContain(INCORRECT);
    }
    const row = await findLockout(email);
    expect(row?.consecutiveFailures).toBe(5);
    expect(row?.lockedUntil).not.toBeNull();
  });
});

describe("address block", SLOW, () => {
  it("blocks an address failing on many emails", async () => {
    const address = "203.0.113.77";
    for (const email of [
      "a1@example.com",
      "a2@example.com",
      "a1@example.com",
    ]) {
      const { response } = await signIn(email, WRONG_PASSWORD, address);
      expect(response.status).toBe(400);
    }
    // Two distinct emails so far: the limit of three is not reached.
    await signIn("a3@example.com", WRONG_PASSWORD, address);

    const { response, body } = await signIn(
      "someone@example.com",
      STRONG_PASSWORD,
      address,
    );
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(body).toContain("Too many requests");

    const elsewhere = await signIn("a1@example.com", WRONG_PASSWORD);
    expect(elsewhere.response.status).toBe(400);
    const page = await new TestClient(server.baseUrl).request("/login", {
      headers: { "x-forwarded-for": address },
    });
    expect(page.status).toBe(200);
  });
});

describe("unlock", SLOW, () => {
  it("lifts a lock and audits it", async () => {
    const email = "unlock-me@example.com";
    await registerAccount(server.baseUrl, { email });
    await failSignIns(email, 6);
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });

    const result = await unlockAccount("Unlock-Me@Example.com ", {
      actorId: user.id,
      info: requestInfo(),
    });
    expect(result).toMatchObject({
      found: true,
      wasLocked: true,
      consecutiveFailures: 5,
      hourFailures: 5,
      userId: user.id,
    });
    expect(await findLockout(email)).toBeNull();
    const { response } = await signIn(email, STRONG_PASSWORD);
    expect(response.status).toBe(302);

    const audits = await prisma.auditLog.findMany({
      where: { action: "ACCOUNT_UNLOCKED", targetId: user.id },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]!.actorId).toBe(user.id);
  });

  it("reports an email without failures", async () => {
    const result = await unlockAccount("never-failed@example.com", {
      actorId: null,
      info: requestInfo(),
    });
    expect(result).toEqual({
      found: false,
      wasLocked: false,
      lockedUntil: null,
      consecutiveFailures: 0,
      hourFailures: 0,
      userId: null,
    });
  });

  it("lifts a lock from the command line", async () => {
    const email = "cli-unlock@example.com";
    await registerAccount(server.baseUrl, { email });
    await failSignIns(email, 5);
    const env = { ...process.env, DATABASE_URL: server.databaseUrl };

    const first = await run("npm", ["run", "-s", "unlock", "--", email], {
      env,
    });
    expect(first.stdout).toMatch(
      /^Unlocked cli-unlock@example\.com \(account \w+\): lifted the lock that ran until \S+ and cleared the failed sign-ins \(5 consecutive, 5 in the current hour\)\.$/m,
    );
    expect(await findLockout(email)).toBeNull();
    const { response } = await signIn(email, STRONG_PASSWORD);
    expect(response.status).toBe(302);

    // The successful sign-in left a row with no consecutive failures.
    const second = await run("npm", ["run", "-s", "unlock", "--", email], {
      env,
    });
    expect(second.stdout).toContain(
      "was not locked; cleared the failed sign-ins (0 consecutive, 0 in the current hour).",
    );
    const third = await run("npm", ["run", "-s", "unlock", "--", email], {
      env,
    });
    expect(third.stdout).toContain("has no failed sign-ins on record");

    const usage = await run("npm", ["run", "-s", "unlock"], { env }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(usage?.code).toBe(2);
    expect(usage?.stderr).toContain("Usage: npm run unlock -- <email>");
  });

  it("lifts an address block from the command line", async () => {
    const address = "203.0.113.7";
    for (const email of [
      "b1@example.com",
      "b2@example.com",
      "b3@example.com",
    ]) {
      const { response } = await signIn(email, WRONG_PASSWORD, address);
      expect(response.status).toBe(400);
    }
    const blocked = await signIn("b1@example.com", WRONG_PASSWORD, address);
    expect(blocked.response.status).toBe(429);
    const env = { ...process.env, DATABASE_URL: server.databaseUrl };

    const first = await run("npm", ["run", "-s", "unlock", "--", address], {
      env,
    });
    expect(first.stdout).toMatch(
      /^Unblocked 203\.0\.113\.7: lifted the sign-in block that ran until \S+ and cleared its failed sign-ins \(3 emails failed on in the current window\)\.$/m,
    );
    expect(
      await prisma.signInIpBlock.findUnique({ where: { ip: address } }),
    ).toBeNull();
    const after = await signIn("b1@example.com", WRONG_PASSWORD, address);
    expect(after.response.status).toBe(400);
    expect(after.body).toContain(INCORRECT);

    const audits = await prisma.auditLog.findMany({
      where: { action: "SIGN_IN_ADDRESS_UNLOCKED", targetId: address },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]!.actorId).toBeNull();
    expect(audits[0]!.targetType).toBe("ClientAddress");
    expect(audits[0]!.userAgent).toBe("npm run unlock");
    expect(audits[0]!.oldValues).toMatchObject({ failedEmails: 3 });

    // The failed sign-in above started a new window without a block.
    const second = await run("npm", ["run", "-s", "unlock", "--", address], {
      env,
    });
    expect(second.stdout).toContain(
      "203.0.113.7 was not blocked; cleared its failed sign-ins (1 email failed on in the current window).",
    );
    const third = await run("npm", ["run", "-s", "unlock", "--", address], {
      env,
    });
    expect(third.stdout).toContain(
      "203.0.113.7 has no failed sign-ins on record; nothing changed.",
    );

    const invalid = await run(
      "npm",
      ["run", "-s", "unlock", "--", "not-an-address"],
      { env },
    ).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(invalid?.code).toBe(2);
    expect(invalid?.stderr).toContain(
      '"not-an-address" is neither an email address nor an IP address.',
    );
  });

  it("lifts the /64 block of an IPv6 address", async () => {
    const blockedUntil = new Date(Date.now() + 600_000);
    const block = {
      ip: "2001:db8:1:2::/64",
      windowEndsAt: blockedUntil,
      emailHashes: [emailHash("v6@example.com")],
      blockedUntil,
    };
    const actor = { actorId: null, info: requestInfo() };

    await prisma.signInIpBlock.create({ data: block });
    expect(await unlockAddress("2001:db8:1:2::abcd", actor)).toEqual({
      addressKey: "2001:db8:1:2::/64",
      found: true,
      wasBlocked: true,
      blockedUntil,
      failedEmails: 1,
    });

    // The prefix as an operator may type it, not in canonical form.
    await prisma.signInIpBlock.create({ data: block });
    const byPrefix = await unlockAddress("2001:0db8:0001:0002::/64", actor);
    expect(byPrefix.addressKey).toBe("2001:db8:1:2::/64");
    expect(byPrefix.wasBlocked).toBe(true);
    expect(
      await prisma.signInIpBlock.findUnique({ where: { ip: block.ip } }),
    ).toBeNull();
  });
});

describe("second factor", SLOW, () => {
  it("shares the lockout with passwords", async () => {
    const email = "second-factor@example.com";
    await registerAccount(server.baseUrl, { email });
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });

    const wrongCode = vi.fn(async () => false);
    for (let index = 0; index < 5; index += 1) {
      expect(await verifySecondFactor(user.id, requestInfo(), wrongCode)).toBe(
        false,
      );
    }
    expect(wrongCode).toHaveBeenCalledTimes(5);

    const rightCode = vi.fn(async () => true);
    expect(await verifySecondFactor(user.id, requestInfo(), rightCode)).toBe(
      false,
    );
    expect(rightCode).not.toHaveBeenCalled();

    const { response } = await signIn(email, STRONG_PASSWORD);
    expect(response.status).toBe(400);
  });

  it("clears the count on a right code", async () => {
    const email = "second-factor-ok@example.com";
    await registerAccount(server.baseUrl, { email });
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    for (let index = 0; index < 3; index += 1) {
      await verifySecondFactor(user.id, requestInfo(), async () => false);
    }
    expect((await findLockout(email))?.consecutiveFailures).toBe(3);
    expect(
      await verifySecondFactor(user.id, requestInfo(), async () => true),
    ).toBe(true);
    expect((await findLockout(email))?.consecutiveFailures).toBe(0);
  });
});

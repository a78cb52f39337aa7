import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import { fieldErrors } from "../support/html";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { TestSmtpServer } from "../support/smtp";
import {
  createSmtpServer,
  deliverQueuedEmail,
  findLink,
} from "../support/smtp";

const NEW_PASSWORD = "Lantern-Quiver-58-orbit";
const FIREFOX_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let server: TestServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await createSmtpServer();
  await smtp.start();
  server = await startTestServer({ SMTP_URL: smtp.url });
});

afterAll(async () => {
  await server.close();
  await smtp.stop();
});

/** Signs in a new client, optionally with a given User-Agent. */
async function signIn(
  email: string,
  options: { password?: string; userAgent?: string } = {},
): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  const headers = options.userAgent
    ? { "user-agent": options.userAgent }
    : undefined;
  const response = await client.postForm(
    "/login",
    { email, password: options.password ?? STRONG_PASSWORD },
    { headers },
  );
  expect(response.status).toBe(302);
  return client;
}

async function isSignedIn(client: TestClient): Promise<boolean> {
  return (await client.request("/settings/profile")).status === 200;
}

async function sessionIdOf(client: TestClient, email: string): Promise<string> {
  const { body } = await client.get("/settings/sessions");
  const current = body.match(
    /data-session-id="([^"]+)"(?:(?!data-session-id).)*?This session/s,
  );
  if (!current) throw new Error(`No current session on the page of ${email}`);
  return current[1]!;
}

describe("password change", () => {
  it("keeps this session and ends the others", async () => {
    const current = await registerAccount(server.baseUrl, {
      email: "change@example.com",
    });
    const other = await signIn("change@example.com");

    const response = await current.postForm("/settings/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      "Your password was changed. 1 other session was signed out; this one stays signed in.",
    );
    expect(await isSignedIn(current)).toBe(true);
    expect(await isSignedIn(other)).toBe(false);

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "change@example.com" },
      include: { sessions: true },
    });
    expect(user.sessions).toHaveLength(1);
    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { action: "PASSWORD_CHANGED", actorId: user.id },
    });
    expect(audit.newValues).toEqual({ revokedSessions: 1 });

    await signIn("change@example.com", { password: NEW_PASSWORD });
    await deliverQueuedEmail();
    const notice = smtp
      .messagesTo("change@example.com")
      .find((mail) => mail.subject === "Your Dokodo password was changed");
    expect(notice?.text).toContain(
      "was changed, and every other device was signed out",
    );
    expect(notice?.html).toContain("Reset your password");
  });

  it("rejects a wrong current password", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "wrong@example.com",
    });
    const response = await client.postForm("/settings/password", {
      currentPassword: "Not-The-Password-1",
      newPassword: NEW_PASSWORD,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("The password is incorrect.");
    await signIn("wrong@example.com");
    expect(
      await prisma.auditLog.count({
        where: {
          action: "PASSWORD_CHANGED",
          actor: { email: "wrong@example.com" },
        },
      }),
    ).toBe(0);
  });

  it("applies the policy to the new password", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "weak@example.com",
    });
    const response = await client.postForm("/settings/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: "password123",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain("Add an upper-case letter.");
    expect(body).toContain("Choose a harder-to-guess password");
    expect(body).not.toContain('value="password123"');
    await signIn("weak@example.com");
  });

  it("rejects the current password as new", async () => {
    const email = "same-password@example.com";
    const current = await registerAccount(server.baseUrl, { email });
    const other = await signIn(email);
    const before = await prisma.user.findUniqueOrThrow({ where: { email } });

    const response = await current.postForm("/settings/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: STRONG_PASSWORD,
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "newPassword")).toEqual([
      "The new password is the same as your current password. Choose a different password.",
    ]);
    expect(fieldErrors(body, "currentPassword")).toEqual([]);
    expect(body).not.toContain("Your password was changed.");

    const after = await prisma.user.findUniqueOrThrow({
      where: { email },
      include: { sessions: true },
    });
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.sessions).toHaveLength(2);
    expect(await isSignedIn(current)).toBe(true);
    expect(await isSignedIn(other)).toBe(true);
    expect(
      await prisma.auditLog.count({
        where: { action: "PASSWORD_CHANGED", actorId: after.id },
      }),
    ).toBe(0);
    expect(
      await prisma.emailOutbox.count({
        where: { recipient: email, kind: "password-changed" },
      }),
    ).toBe(0);
  });

  it("needs a session", async () => {
    const client = new TestClient(server.baseUrl);
    const response = await client.request("/settings/password");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      "/login?redirectTo=%2Fsettings%2Fpassword",
    );
  });
});

describe("profile", () => {
  it("changes the name without a password", async () => {
    const client = await registerAccount(server.baseUrl, {
      name: "Old Name",
      email: "rename@example.com",
    });
    const response = await client.postForm("/settings/profile", {
      name: "New Name",
      email: "rename@example.com",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Your name was saved.");
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "rename@example.com" },
    });
    expect(user.name).toBe("New Name");
    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { action: "PROFILE_UPDATED", actorId: user.id },
    });
    expect(audit.oldValues).toEqual({ name: "Old Name" });
    expect(audit.newValues).toEqual({ name: "New Name" });
  });

  it("needs the password to change the email", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "guard@example.com",
    });
    const missing = await client.postForm("/settings/profile", {
      name: "Test User",
      email: "guard-new@example.com",
    });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain(
      "Enter your current password to change your email address.",
    );
    const wrong = await client.postForm("/settings/profile", {
      name: "Test User",
      email: "guard-new@example.com",
      password: "Not-The-Password-1",
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("The password is incorrect.");
    expect(
      await prisma.emailToken.count({
        where: { email: "guard-new@example.com" },
      }),
    ).toBe(0);
  });

  it("switches the email once the new address confirms", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "move@example.com",
    });
    const response = await client.postForm("/settings/profile", {
      name: "Test User",
      email: "Moved@Example.com",
      password: STRONG_PASSWORD,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      "We sent a confirmation link to moved@example.com.",
    );
    const pending = await prisma.user.findUniqueOrThrow({
      where: { email: "move@example.com" },
    });
    expect(pending.email).toBe("move@example.com");
    expect((await client.get("/settings/profile")).body).toContain(
      "Waiting for confirmation of moved@example.com.",
    );

    await deliverQueuedEmail();
    const notice = smtp
      .messagesTo("move@example.com")
      .find(
        (mail) =>
          mail.subject === "Your Dokodo email address is about to change",
      );
    expect(notice?.text).toContain("to moved@example.com");
    const [linkMail] = smtp.messagesTo("moved@example.com");
    expect(linkMail?.subject).toBe("Confirm your new email address for Dokodo");
    const link = new URL(
      findLink(linkMail!, `${server.baseUrl}/verify-email?token=`),
    );

    const page = await client.get(`${link.pathname}${link.search}`);
    expect(page.response.status).toBe(200);
    expect(page.body).toContain(
      "Confirm to switch your Dokodo account to moved@example.com.",
    );
    const csrf = page.body.match(/name="csrf" value="([^"]+)"/)![1]!;
    const confirmed = await client.postForm(
      "/verify-email",
      { token: link.searchParams.get("token")! },
      { csrf },
    );
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain(
      "Your account now uses moved@example.com.",
    );

    const user = await prisma.user.findUniqueOrThrow({
      where: { id: pending.id },
    });
    expect(user.email).toBe("moved@example.com");
    expect(user.emailVerifiedAt).not.toBeNull();
    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { action: "EMAIL_CHANGED", actorId: user.id },
    });
    expect(audit.oldValues).toEqual({ email: "move@example.com" });
    expect(audit.newValues).toEqual({ email: "moved@example.com" });

    await deliverQueuedEmail();
    expect(
      smtp
        .messagesTo("move@example.com")
        .some(
          (mail) => mail.subject === "Your Dokodo email address was changed",
        ),
    ).toBe(true);
    await signIn("moved@example.com");
  });

  it("treats a taken address like a free one", async () => {
    await registerAccount(server.baseUrl, {
      name: "Owner",
      email: "occupied@example.com",
    });
    const client = await registerAccount(server.baseUrl, {
      email: "mover@example.com",
    });
    const free = await client.postForm("/settings/profile", {
      name: "Test User",
      email: "vacant@example.com",
      password: STRONG_PASSWORD,
    });
    const taken = await client.postForm("/settings/profile", {
      name: "Test User",
      email: "occupied@example.com",
      password: STRONG_PASSWORD,
    });
    expect(free.status).toBe(200);
    expect(taken.status).toBe(200);
    expect(await taken.text()).toContain(
      "We sent a confirmation link to occupied@example.com.",
    );
    expect((await client.get("/settings/profile")).body).toContain(
      "Waiting for confirmation of occupied@example.com.",
    );

    await deliverQueuedEmail();
    const toOwner = smtp.messagesTo("occupied@example.com");
    expect(toOwner.map((mail) => mail.subject)).toContain(
      "Someone tried to use your address for another Dokodo account",
    );
    // The owner's only link is the one from their own registration.
    expect(toOwner.map((mail) => mail.subject)).not.toContain(
      "Confirm your new email address for Dokodo",
    );
    expect(toOwner.filter((mail) => mail.text.includes("token="))).toHaveLength(
      1,
    );
  });

  it("limits email changes to three an hour", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "busy@example.com",
    });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await client.postForm("/settings/profile", {
        name: "Test User",
        email: `busy-${attempt}@example.com`,
        password: STRONG_PASSWORD,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe("sessions page", () => {
  it("lists sessions and marks the current one", async () => {
    const current = await signInFresh("list@example.com", FIREFOX_UA);
    await signIn("list@example.com", { userAgent: IPHONE_UA });

    const { response, body } = await current.get("/settings/sessions");
    expect(response.status).toBe(200);
    const ids = [...body.matchAll(/data-session-id="([^"]+)"/g)].map(
      (m) => m[1],
    );
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "list@example.com" },
      include: { sessions: true },
    });
    expect(new Set(ids)).toEqual(
      new Set(user.sessions.map((session) => session.id)),
    );
    expect(body.match(/This session/g)).toHaveLength(1);
    expect(body).toContain("Firefox 128 on Windows 10");
    expect(body).toContain("Computer · IP address 127.0.0.x");
    expect(body).toContain("Mobile Safari 17 on iOS 17.5");
    expect(body).toContain("Phone · IP address 127.0.0.x");
    expect(body).toContain("Sign out all other sessions");
  });

  it("revokes another session", async () => {
    const current = await signInFresh("revoke@example.com");
    const other = await signIn("revoke@example.com");
    const otherId = await sessionIdOf(other, "revoke@example.com");

    const response = await current.postForm("/settings/sessions", {
      intent: "revoke",
      sessionId: otherId,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Signed out that session.");
    expect(await isSignedIn(other)).toBe(false);
    expect(await isSignedIn(current)).toBe(true);

    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { action: "SESSION_REVOKED", targetId: otherId },
    });
    expect(audit.newValues).toEqual({ count: 1 });
  });

  it("revokes all other sessions", async () => {
    const current = await signInFresh("others@example.com");
    const second = await signIn("others@example.com");
    const third = await signIn("others@example.com");

    const response = await current.postForm("/settings/sessions", {
      intent: "revoke-others",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Signed out 2 other sessions.");
    expect(await isSignedIn(second)).toBe(false);
    expect(await isSignedIn(third)).toBe(false);
    expect(await isSignedIn(current)).toBe(true);

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "others@example.com" },
    });
    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { action: "SESSION_REVOKED", actorId: user.id },
    });
    expect(audit.newValues).toEqual({ count: 2, scope: "others" });

    const { body } = await current.get("/settings/sessions");
    expect(body).toContain("No other browser is signed in to your account.");
    expect(body).not.toContain("Sign out all other sessions");
  });

  it("answers 404 for another user's session", async () => {
    const attacker = await signInFresh("attacker@example.com");
    const victim = await signInFresh("victim@example.com");
    const victimSessionId = await sessionIdOf(victim, "victim@example.com");

    const response = await attacker.postForm("/settings/sessions", {
      intent: "revoke",
      sessionId: victimSessionId,
    });
    expect(response.status).toBe(404);
    expect(await isSignedIn(victim)).toBe(true);
    expect(await prisma.session.count({ where: { id: victimSessionId } })).toBe(
      1,
    );
    expect(
      await prisma.auditLog.count({
        where: { action: "SESSION_REVOKED", targetId: victimSessionId },
      }),
    ).toBe(0);
  });

  it("signs out when revoking the current session", async () => {
    const current = await signInFresh("self@example.com");
    const currentId = await sessionIdOf(current, "self@example.com");
    const response = await current.postForm("/settings/sessions", {
      intent: "revoke",
      sessionId: currentId,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login");
    expect(current.getCookie("dokodo_session")).toBeUndefined();
    expect(await prisma.session.count({ where: { id: currentId } })).toBe(0);
  });

  it("rejects an incomplete form", async () => {
    const current = await signInFresh("incomplete@example.com");
    const response = await current.postForm("/settings/sessions", {
      intent: "revoke",
    });
    expect(response.status).toBe(400);
  });
});

/**
 * Registers an account and returns a client signed in with `userAgent`; the
 * session registerAccount created is deleted, so the account has one session.
 */
async function signInFresh(
  email: string,
  userAgent?: string,
): Promise<TestClient> {
  await registerAccount(server.baseUrl, { email });
  await prisma.session.deleteMany({ where: { user: { email } } });
  return signIn(email, { userAgent });
}

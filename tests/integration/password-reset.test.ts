import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import { captureLogs } from "../support/logs";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { TestSmtpServer } from "../support/smtp";
import {
  createSmtpServer,
  deliverQueuedEmail,
  findLink,
} from "../support/smtp";

const NEW_PASSWORD = "Lantern-Quiver-58-orbit";

let server: TestServer;
let smtp: TestSmtpServer;
let logLines: string[];

beforeAll(async () => {
  logLines = captureLogs();
  smtp = await createSmtpServer();
  await smtp.start();
  server = await startTestServer({ SMTP_URL: smtp.url });
});

afterAll(async () => {
  await server.close();
  await smtp.stop();
});

async function signIn(email: string, password = STRONG_PASSWORD) {
  const client = new TestClient(server.baseUrl);
  const response = await client.postForm("/login", { email, password });
  expect(response.status).toBe(302);
  return client;
}

async function isSignedIn(client: TestClient): Promise<boolean> {
  const response = await client.request("/settings/profile");
  return response.status === 200;
}

async function csrfOf(client: TestClient): Promise<string> {
  for (const page of ["/login", "/settings/profile"]) {
    const { body } = await client.get(page);
    const match = body.match(/name="csrf" value="([^"]+)"/);
    if (match) return match[1]!;
  }
  throw new Error("No page with a CSRF field");
}

function requestReset(email: string) {
  return new TestClient(server.baseUrl).postForm("/forgot-password", { email });
}

/** Returns the path and query of the newest reset link sent to `email`. */
async function latestResetLink(email: string): Promise<string> {
  await deliverQueuedEmail();
  const mails = smtp
    .messagesTo(email)
    .filter((mail) => mail.subject === "Reset your Dokodo password");
  const url = new URL(
    findLink(mails.at(-1)!, `${server.baseUrl}/reset-password?token=`),
  );
  return `${url.pathname}${url.search}`;
}

async function submitReset(path: string, password: string) {
  const client = new TestClient(server.baseUrl);
  const token = new URL(path, server.baseUrl).searchParams.get("token")!;
  return client.postForm(
    "/reset-password",
    { token, newPassword: password },
    { csrf: await csrfOf(client) },
  );
}

/**
 * Removes what differs between two responses to the same page: the echoed
 * address, the signed CSRF token, the request ID and the CSP nonce.
 */
function normalize(body: string, email: string): string {
  return body
    .replaceAll(email, "EMAIL")
    .replace(/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}/g, "CSRF")
    .replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      "ID",
    )
    .replace(/nonce="[^"]*"/g, 'nonce=""');
}

describe("forgot-password", () => {
  it("answers known and unknown addresses alike", async () => {
    await registerAccount(server.baseUrl, { email: "owner@example.com" });
    const known = await requestReset("owner@example.com");
    const unknown = await requestReset("ghost@example.com");

    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.headers.get("set-cookie")).toBe(
      unknown.headers.get("set-cookie"),
    );
    const knownBody = await known.text();
    const unknownBody = await unknown.text();
    expect(knownBody).toContain(
      "If an account uses owner@example.com, we sent it a link",
    );
    expect(normalize(knownBody, "owner@example.com")).toBe(
      normalize(unknownBody, "ghost@example.com"),
    );

    await deliverQueuedEmail();
    expect(
      smtp
        .messagesTo("owner@example.com")
        .filter((mail) => mail.subject === "Reset your Dokodo password"),
    ).toHaveLength(1);
    expect(smtp.messagesTo("ghost@example.com")).toHaveLength(0);
    expect(
      await prisma.emailOutbox.count({
        where: { recipient: "ghost@example.com" },
      }),
    ).toBe(0);
  });

  it("rejects a malformed address with 400", async () => {
    const response = await requestReset("not-an-address");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter a valid email address");
  });
});

describe("reset link", () => {
  it("resets the password and signs every session out", async () => {
    await registerAccount(server.baseUrl, { email: "reset@example.com" });
    const first = await signIn("reset@example.com");
    const second = await signIn("reset@example.com");
    expect(await isSignedIn(first)).toBe(true);
    expect(await isSignedIn(second)).toBe(true);

    await requestReset("reset@example.com");
    const path = await latestResetLink("reset@example.com");
    const form = await new TestClient(server.baseUrl).get(path);
    expect(form.response.status).toBe(200);
    expect(form.body).toContain("Choose a new password");

    const response = await submitReset(path, NEW_PASSWORD);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      "Your password was changed and every device was signed out.",
    );

    expect(await isSignedIn(first)).toBe(false);
    expect(await isSignedIn(second)).toBe(false);
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "reset@example.com" },
      include: { sessions: true },
    });
    expect(user.sessions).toHaveLength(0);
    // The link reached the inbox, which proves the address.
    expect(user.emailVerifiedAt).not.toBeNull();

    const audit = await prisma.auditLog.findFirstOrThrow({
      where: { action: "PASSWORD_RESET", actorId: user.id },
    });
    // registerAccount's session and the two above.
    expect(audit.newValues).toEqual({ revokedSessions: 3 });

    const oldPassword = await new TestClient(server.baseUrl).postForm(
      "/login",
      {
        email: "reset@example.com",
        password: STRONG_PASSWORD,
      },
    );
    expect(oldPassword.status).toBe(400);
    await signIn("reset@example.com", NEW_PASSWORD);

    await deliverQueuedEmail();
    const notice = smtp
      .messagesTo("reset@example.com")
      .find((mail) => mail.subject === "Your Dokodo password was changed");
    expect(notice?.text).toContain(
      "was reset with a link sent to this address",
    );
  });

  it("works once", async () => {
    await registerAccount(server.baseUrl, { email: "reuse@example.com" });
    await requestReset("reuse@example.com");
    const path = await latestResetLink("reuse@example.com");
    expect((await submitReset(path, NEW_PASSWORD)).status).toBe(200);

    const again = await submitReset(path, "Another-Fresh-Pass-71");
    expect(again.status).toBe(400);
    expect(await again.text()).toContain(
      "This reset link is invalid, expired, already used",
    );
    expect(
      (await new TestClient(server.baseUrl).get(path)).response.status,
    ).toBe(400);
    await signIn("reuse@example.com", NEW_PASSWORD);
  });

  it("works once under concurrent use", async () => {
    await registerAccount(server.baseUrl, { email: "race@example.com" });
    await requestReset("race@example.com");
    const path = await latestResetLink("race@example.com");
    const responses = await Promise.all([
      submitReset(path, NEW_PASSWORD),
      submitReset(path, "Another-Fresh-Pass-71"),
      submitReset(path, "Third-Fresh-Pass-62!x"),
    ]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 400, 400]);
    expect(
      await prisma.auditLog.count({
        where: {
          action: "PASSWORD_RESET",
          actor: { email: "race@example.com" },
        },
      }),
    ).toBe(1);
  });

  it("expires after one hour", async () => {
    await registerAccount(server.baseUrl, { email: "late@example.com" });
    await requestReset("late@example.com");
    const path = await latestResetLink("late@example.com");
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "late@example.com" },
    });
    const token = await prisma.emailToken.findFirstOrThrow({
      where: { userId: user.id, purpose: "RESET_PASSWORD" },
    });
    expect(
      Math.abs(
        token.expiresAt.getTime() - token.createdAt.getTime() - 60 * 60_000,
      ),
    ).toBeLessThan(1_000);
    await prisma.emailToken.update({
      where: { id: token.id },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });

    expect(
      (await new TestClient(server.baseUrl).get(path)).response.status,
    ).toBe(400);
    expect((await submitReset(path, NEW_PASSWORD)).status).toBe(400);
    await signIn("late@example.com");
  });

  it("is replaced by a newer link", async () => {
    await registerAccount(server.baseUrl, { email: "twice@example.com" });
    await requestReset("twice@example.com");
    const older = await latestResetLink("twice@example.com");
    await requestReset("twice@example.com");
    const newer = await latestResetLink("twice@example.com");
    expect(newer).not.toBe(older);

    expect((await submitReset(older, NEW_PASSWORD)).status).toBe(400);
    expect((await submitReset(newer, NEW_PASSWORD)).status).toBe(200);
  });

  it("is revoked by a password change", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "changed@example.com",
    });
    await requestReset("changed@example.com");
    const path = await latestResetLink("changed@example.com");

    const change = await client.postForm("/settings/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(change.status).toBe(200);

    expect((await submitReset(path, "Another-Fresh-Pass-71")).status).toBe(400);
    await signIn("changed@example.com", NEW_PASSWORD);
  });

  it("applies the policy with the account as context", async () => {
    await registerAccount(server.baseUrl, {
      name: "Grace Hopper",
      email: "grace@example.com",
    });
    await requestReset("grace@example.com");
    const path = await latestResetLink("grace@example.com");

    const response = await submitReset(path, "Hopper-Kettle-93!");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "Do not build the password from your email address, your name or the word “Dokodo”.",
    );
    // A rejected password leaves the link usable.
    expect((await submitReset(path, NEW_PASSWORD)).status).toBe(200);
  });

  it("rejects a malformed token", async () => {
    const client = new TestClient(server.baseUrl);
    expect(
      (await client.get("/reset-password?token=xyz")).response.status,
    ).toBe(400);
    const response = await client.postForm(
      "/reset-password",
      { token: "xyz", newPassword: NEW_PASSWORD },
      { csrf: await csrfOf(client) },
    );
    expect(response.status).toBe(400);
  });
});

describe("logs", () => {
  it("contain no token or password", async () => {
    expect(logLines.length).toBeGreaterThan(10);
    const sentTokens = smtp.messages.flatMap((mail) =>
      [...mail.text.matchAll(/token=([0-9a-f]{64})/g)].map(
        (match) => match[1]!,
      ),
    );
    expect(sentTokens.length).toBeGreaterThan(5);
    const text = logLines.join("");
    for (const token of sentTokens) expect(text).not.toContain(token);
    expect(text).not.toContain(NEW_PASSWORD);
    expect(text).not.toContain(STRONG_PASSWORD);
  });
});

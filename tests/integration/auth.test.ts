import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

describe("registration", () => {
  it("creates user and household, unverified", async () => {
    const client = await registerAccount(server.baseUrl, {
      name: "Ada",
      email: "  Ada@Example.COM ",
    });

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "ada@example.com" },
      include: {
        memberships: { include: { household: true } },
        sessions: true,
      },
    });
    expect(user.name).toBe("Ada");
    expect(user.passwordHash).toMatch(/^\$2[ab]\$12\$/);
    expect(user.memberships).toHaveLength(1);
    expect(user.memberships[0]!.role).toBe("OWNER");
    expect(user.emailVerifiedAt).toBeNull();
    // The one session comes from signing in, because registration creates none.
    expect(user.sessions).toHaveLength(1);

    const { response } = await client.get("/items");
    expect(response.status).not.toBe(302);
  });

  it("rejects invalid fields and keeps entries", async () => {
    const client = new TestClient(server.baseUrl);
    const response = await client.postForm("/register", {
      name: "Grace",
      email: "not-an-email",
      password: "short",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain("Enter a valid email address");
    expect(body).toContain("Use at least 10 characters.");
    expect(body).toContain('value="Grace"');
    expect(body).not.toContain('value="short"');
    expect(await prisma.user.count({ where: { name: "Grace" } })).toBe(0);
  });

  it("rejects passwords over 72 bytes", async () => {
    const client = new TestClient(server.baseUrl);
    const password = `Aa1!${"é".repeat(35)}`;
    const response = await client.postForm("/register", {
      name: "Long",
      email: "long@example.com",
      password,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "Use at most 72 bytes; this one has 74",
    );
  });

  it("answers a taken email like a new one", async () => {
    await registerAccount(server.baseUrl, { email: "taken@example.com" });
    const client = new TestClient(server.baseUrl);
    const response = await client.postForm("/register", {
      name: "Second",
      email: "TAKEN@example.com",
      password: STRONG_PASSWORD,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/check-email");
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(
      await prisma.user.count({ where: { email: "taken@example.com" } }),
    ).toBe(1);
  });
});

describe("sign-in", () => {
  beforeAll(async () => {
    await registerAccount(server.baseUrl, { email: "signin@example.com" });
  });

  it("signs in and rotates the token", async () => {
    const client = new TestClient(server.baseUrl);
    const response = await client.postForm("/login", {
      email: "SIGNIN@example.com",
      password: STRONG_PASSWORD,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/items");
    const firstCookie = client.getCookie("dokodo_session");
    expect(firstCookie).toBeTruthy();

    const again = await client.postForm("/login", {
      email: "signin@example.com",
      password: STRONG_PASSWORD,
    });
    // Signed-in users are sent away from the form, but the action still
    // issues a new token and deletes the old row.
    expect(again.status).toBe(302);
    expect(client.getCookie("dokodo_session")).not.toBe(firstCookie);

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "signin@example.com" },
      include: { sessions: true },
    });
    const events = await prisma.auditLog.findMany({
      where: { actorId: user.id, action: "SIGN_IN_SUCCEEDED" },
    });
    // registerAccount signed in once before the two sign-ins above.
    expect(events).toHaveLength(3);
    expect(events[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives wrong password and unknown email one answer", async () => {
    const wrong = await new TestClient(server.baseUrl).postForm("/login", {
      email: "signin@example.com",
      password: "Wrong-password-1",
    });
    const unknown = await new TestClient(server.baseUrl).postForm("/login", {
      email: "nobody@example.com",
      password: "Wrong-password-1",
    });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    const wrongBody = await wrong.text();
    const unknownBody = await unknown.text();
    expect(wrongBody).toContain("Email or password is incorrect.");
    expect(unknownBody).toContain("Email or password is incorrect.");
    expect(wrong.headers.get("set-cookie")).toBe(
      unknown.headers.get("set-cookie"),
    );

    const failures = await prisma.auditLog.count({
      where: { action: "SIGN_IN_FAILED" },
    });
    expect(failures).toBe(2);
  });

  it("rejects a password whose 72-byte prefix matches", async () => {
    const password =
      "Aa1!q7Tz!Lm2#Vx9@Rk4$Wp6%Hn3^Bd8&Js5*Gf1(Yc0)Nu7-Ea2+Oi4=Xw6?Zr9/Km3.Pt8";
    expect(password).toHaveLength(72);
    await registerAccount(server.baseUrl, {
      email: "prefix@example.com",
      password,
    });
    const response = await new TestClient(server.baseUrl).postForm("/login", {
      email: "prefix@example.com",
      password: `${password}extra`,
    });
    expect(response.status).toBe(400);
  });
});

describe("sessions", () => {
  it("stores only the token hash", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "hash@example.com",
    });
    const cookie = decodeURIComponent(client.getCookie("dokodo_session")!);
    const token = JSON.parse(atob(cookie.split(".")[0]!)) as string;
    const sessions = await prisma.session.findMany({
      where: { user: { email: "hash@example.com" } },
    });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.tokenHash).toHaveLength(64);
    expect(sessions[0]!.tokenHash).not.toContain(token);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
  });

  it("signs out when the row is deleted", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "revoked@example.com",
    });
    await prisma.session.deleteMany({
      where: { user: { email: "revoked@example.com" } },
    });
    const response = await client.request("/items");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?redirectTo=%2Fitems");
  });

  it("expires after the idle timeout", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "idle@example.com",
    });
    const idleHours = server.env.SESSION_IDLE_TIMEOUT_HOURS;
    await prisma.session.updateMany({
      where: { user: { email: "idle@example.com" } },
      data: {
        lastUsedAt: new Date(Date.now() - idleHours * 3_600_000 - 1_000),
      },
    });
    const response = await client.request("/items");
    expect(response.status).toBe(302);
    expect(
      await prisma.session.count({
        where: { user: { email: "idle@example.com" } },
      }),
    ).toBe(0);
  });

  it("expires at the absolute limit", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "absolute@example.com",
    });
    await prisma.session.updateMany({
      where: { user: { email: "absolute@example.com" } },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    const response = await client.request("/items");
    expect(response.status).toBe(302);
  });

  it("writes lastUsedAt at most once a minute", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "touch@example.com",
    });
    const where = { user: { email: "touch@example.com" } };
    const recent = new Date(Date.now() - 30_000);
    await prisma.session.updateMany({ where, data: { lastUsedAt: recent } });
    await client.request("/items");
    const unchanged = await prisma.session.findFirstOrThrow({ where });
    expect(unchanged.lastUsedAt.getTime()).toBe(recent.getTime());

    const old = new Date(Date.now() - 120_000);
    await prisma.session.updateMany({ where, data: { lastUsedAt: old } });
    await client.request("/items");
    const touched = await prisma.session.findFirstOrThrow({ where });
    expect(touched.lastUsedAt.getTime()).toBeGreaterThan(
      old.getTime() + 60_000,
    );
  });

  it("logout deletes the session row", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "logout@example.com",
    });
    const response = await client.postForm("/logout", {});
    expect(response.status).toBe(302);
    expect(
      await prisma.session.count({
        where: { user: { email: "logout@example.com" } },
      }),
    ).toBe(0);
    expect(client.getCookie("dokodo_session")).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { requireVerifiedEmail } from "~/modules/accounts/email-verification.server";
import { prisma } from "~/utils/db.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { TestSmtpServer } from "../support/smtp";
import {
  createSmtpServer,
  deliverQueuedEmail,
  findLink,
} from "../support/smtp";

let server: TestServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await createSmtpServer();
  await smtp.start();
  server = await startTestServer({
    SMTP_URL: smtp.url,
    THROTTLE_VERIFICATION_RESEND_LIMIT: "3",
    THROTTLE_VERIFICATION_RESEND_WINDOW_SECONDS: "60",
  });
});

afterAll(async () => {
  await server.close();
  await smtp.stop();
});

/** Returns the path and query of the newest verification link sent to `email`. */
async function latestVerificationLink(email: string): Promise<string> {
  await deliverQueuedEmail();
  const mails = smtp
    .messagesTo(email)
    .filter((mail) => mail.text.includes("/verify-email?token="));
  const link = findLink(mails.at(-1)!, `${server.baseUrl}/verify-email?token=`);
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

function tokenOf(path: string): string {
  return new URL(path, server.baseUrl).searchParams.get("token")!;
}

/** Returns a CSRF token for the client from a page that always has a form. */
async function csrfOf(client: TestClient): Promise<string> {
  for (const page of ["/login", "/settings/profile"]) {
    const { body } = await client.get(page);
    const match = body.match(/name="csrf" value="([^"]+)"/);
    if (match) return match[1]!;
  }
  throw new Error("No page with a CSRF field");
}

/** Submits the confirm form the way the page does: token in the body. */
async function confirm(client: TestClient, path: string) {
  return client.postForm(
    "/verify-email",
    { token: tokenOf(path) },
    { csrf: await csrfOf(client) },
  );
}

describe("registration", () => {
  it("answers known and unknown addresses alike", async () => {
    await registerAccount(server.baseUrl, {
      name: "Known Person",
      email: "known@example.com",
    });
    const sessionsBefore = await prisma.session.count();

    const fields = (email: string) => ({
      name: "Someone Else",
      email,
      password: STRONG_PASSWORD,
    });
    const known = await new TestClient(server.baseUrl).postForm(
      "/register",
      fields("known@example.com"),
    );
    const unknown = await new TestClient(server.baseUrl).postForm(
      "/register",
      fields("fresh@example.com"),
    );

    expect(known.status).toBe(302);
    expect(unknown.status).toBe(302);
    expect(known.headers.get("location")).toBe("/check-email");
    expect(unknown.headers.get("location")).toBe("/check-email");
    expect(known.headers.get("set-cookie")).toBeNull();
    expect(unknown.headers.get("set-cookie")).toBeNull();
    expect(await known.text()).toBe(await unknown.text());
    expect(await prisma.session.count()).toBe(sessionsBefore);

    await deliverQueuedEmail();
    const toKnown = smtp.messagesTo("known@example.com");
    expect(toKnown.map((mail) => mail.subject)).toEqual([
      "Confirm your email address for Dokodo",
      "Someone tried to create a Dokodo account with your address",
    ]);
    expect(toKnown[1]!.text).toContain(`${server.baseUrl}/forgot-password`);
    expect(toKnown[1]!.text).not.toContain("token=");
    expect(
      smtp.messagesTo("fresh@example.com").map((mail) => mail.subject),
    ).toEqual(["Confirm your email address for Dokodo"]);
    const knownUser = await prisma.user.findUniqueOrThrow({
      where: { email: "known@example.com" },
    });
    expect(knownUser.name).toBe("Known Person");
  });

  it("limits attempt notices to three an hour", async () => {
    await registerAccount(server.baseUrl, { email: "popular@example.com" });
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await new TestClient(server.baseUrl).postForm(
        "/register",
        {
          name: "Attempt",
          email: "popular@example.com",
          password: STRONG_PASSWORD,
        },
      );
      expect(response.status).toBe(302);
    }
    expect(
      await prisma.emailOutbox.count({
        where: {
          recipient: "popular@example.com",
          kind: "registration-attempt",
        },
      }),
    ).toBe(3);
  });

  it("keeps the typed name out of the verification email", async () => {
    // The person who registers chooses the name and may not own the inbox.
    const name = "Win a prize at spam.example now";
    await new TestClient(server.baseUrl).postForm("/register", {
      name,
      email: "stranger@example.com",
      password: STRONG_PASSWORD,
    });
    await deliverQueuedEmail();
    const [mail] = smtp.messagesTo("stranger@example.com");
    expect(mail!.subject).toBe("Confirm your email address for Dokodo");
    expect(mail!.text).toContain("Hello,");
    expect(mail!.text).not.toContain("spam.example");
    expect(mail!.html).not.toContain("spam.example");
  });

  it("check-email page tells the user to look", async () => {
    const { response, body } = await new TestClient(server.baseUrl).get(
      "/check-email",
    );
    expect(response.status).toBe(200);
    expect(body).toContain("Check your inbox");
  });
});

describe("verification link", () => {
  it("shows a button on GET and verifies on POST", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "verify@example.com",
    });
    const path = await latestVerificationLink("verify@example.com");

    const page = await client.get(path);
    expect(page.response.status).toBe(200);
    expect(page.body).toContain(
      "Confirm that verify@example.com is your address.",
    );
    const unused = await prisma.emailToken.findFirstOrThrow({
      where: { email: "verify@example.com", purpose: "VERIFY_EMAIL" },
    });
    expect(unused.usedAt).toBeNull();

    const response = await confirm(client, path);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      "Your email address verify@example.com is confirmed.",
    );
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "verify@example.com" },
    });
    expect(user.emailVerifiedAt).not.toBeNull();
    expect(
      await prisma.auditLog.count({
        where: { action: "EMAIL_VERIFIED", actorId: user.id },
      }),
    ).toBe(1);
  });

  it("works once", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "once@example.com",
    });
    const path = await latestVerificationLink("once@example.com");
    expect((await confirm(client, path)).status).toBe(200);

    const again = await confirm(client, path);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain(
      "This link is invalid, expired or already used.",
    );
    expect((await client.get(path)).response.status).toBe(400);
  });

  it("works without a session", async () => {
    await registerAccount(server.baseUrl, { email: "elsewhere@example.com" });
    const path = await latestVerificationLink("elsewhere@example.com");
    const otherDevice = new TestClient(server.baseUrl);
    expect((await confirm(otherDevice, path)).status).toBe(200);
  });

  it("expires after 24 hours", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "stale@example.com",
    });
    const path = await latestVerificationLink("stale@example.com");
    const token = await prisma.emailToken.findFirstOrThrow({
      where: { email: "stale@example.com", purpose: "VERIFY_EMAIL" },
    });
    // The two times come from different clocks (app and database).
    expect(
      Math.abs(
        token.expiresAt.getTime() -
          token.createdAt.getTime() -
          24 * 60 * 60_000,
      ),
    ).toBeLessThan(1_000);
    await prisma.emailToken.update({
      where: { id: token.id },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });

    expect((await client.get(path)).response.status).toBe(400);
    expect((await confirm(client, path)).status).toBe(400);
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "stale@example.com" },
    });
    expect(user.emailVerifiedAt).toBeNull();
  });

  it("rejects a malformed token", async () => {
    const client = new TestClient(server.baseUrl);
    expect((await client.get("/verify-email?token=abc")).response.status).toBe(
      400,
    );
    const response = await client.postForm(
      "/verify-email",
      { token: "abc" },
      { csrf: await csrfOf(client) },
    );
    expect(response.status).toBe(400);
  });
});

describe("banner and resend", () => {
  it("shows the banner until verified", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "banner@example.com",
    });
    const before = await client.get("/settings/profile");
    expect(before.body).toContain(
      "Confirm your email address with the link we sent you.",
    );

    const path = await latestVerificationLink("banner@example.com");
    await confirm(client, path);
    const after = await client.get("/settings/profile");
    expect(after.body).not.toContain(
      "Confirm your email address with the link we sent you.",
    );
  });

  it("resend replaces the older link", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "resend@example.com",
    });
    const first = await latestVerificationLink("resend@example.com");

    const response = await client.postForm(
      "/verify-email/resend",
      {},
      {
        csrf: await csrfOf(client),
      },
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(
      "We sent a new confirmation link to resend@example.com.",
    );
    const second = await latestVerificationLink("resend@example.com");
    expect(second).not.toBe(first);

    expect((await confirm(client, first)).status).toBe(400);
    expect((await confirm(client, second)).status).toBe(200);
  });

  it("allows three resends a minute", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "limit@example.com",
    });
    const csrf = await csrfOf(client);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await client.postForm(
        "/verify-email/resend",
        {},
        { csrf },
      );
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(await response.text()).toContain(
          "You can request at most 3 confirmation emails every 60 seconds.",
        );
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "limit@example.com" },
    });
    // The registration link plus three resends.
    expect(
      await prisma.emailToken.count({
        where: { userId: user.id, purpose: "VERIFY_EMAIL" },
      }),
    ).toBe(4);
  });

  it("needs a signed-in user", async () => {
    const client = new TestClient(server.baseUrl);
    const response = await client.postForm(
      "/verify-email/resend",
      {},
      {
        csrf: await csrfOf(client),
      },
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^\/login\?redirectTo=/);
  });
});

describe("requireVerifiedEmail", () => {
  it("rejects until the address is verified", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "gate@example.com",
    });
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "gate@example.com" },
    });
    const rejection = await requireVerifiedEmail(user.id).then(
      () => null,
      (error: unknown) => error,
    );
    expect(rejection).toBeInstanceOf(Response);
    expect((rejection as Response).status).toBe(403);

    await confirm(client, await latestVerificationLink("gate@example.com"));
    await expect(requireVerifiedEmail(user.id)).resolves.toBeUndefined();
  });
});

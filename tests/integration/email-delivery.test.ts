import { createHash } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import {
  drainOutbox,
  enqueueEmail,
  purgeOldEmailRecords,
  startEmailWorker,
  wakeEmailWorker,
} from "~/modules/email/outbox.server";
import { prisma } from "~/utils/db.server";
import { ConfigError, parseEnv } from "~/utils/env.server";

import { STRONG_PASSWORD, TestClient } from "../support/client";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";
import type { TestSmtpServer } from "../support/smtp";
import { createSmtpServer, findLink } from "../support/smtp";

const HOUR_MS = 60 * 60_000;

let server: TestServer;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await createSmtpServer({ rejectRecipients: ["bounce@example.com"] });
  server = await startTestServer({
    SMTP_URL: smtp.url,
    EMAIL_FROM: "Dokodo <no-reply@dokodo.test>",
  });
});

afterAll(async () => {
  await server.close();
  await smtp.stop();
});

beforeEach(async () => {
  await prisma.emailOutbox.deleteMany();
});

function register(email: string) {
  return new TestClient(server.baseUrl).postForm("/register", {
    name: "Mail Tester",
    email,
    password: STRONG_PASSWORD,
  });
}

function queueNotice(to: string, subject: string, discardAfter?: Date) {
  return enqueueEmail(prisma, {
    kind: "test-notice",
    to,
    subject,
    text: `Text of ${subject}`,
    html: `<p>HTML of ${subject}</p>`,
    discardAfter: discardAfter ?? new Date(Date.now() + HOUR_MS),
  });
}

describe("outbox while SMTP is down", () => {
  it("retries later and delivers once", async () => {
    const response = await register("down@example.com");
    expect(response.status).toBe(302);
    const queued = await prisma.emailOutbox.findFirstOrThrow({
      where: { recipient: "down@example.com" },
    });
    expect(queued.status).toBe("PENDING");
    expect(queued.kind).toBe("verify-email");

    const first = await drainOutbox();
    expect(first).toEqual({ sent: 0, retried: 1, failed: 0, expired: 0 });
    const waiting = await prisma.emailOutbox.findUniqueOrThrow({
      where: { id: queued.id },
    });
    expect(waiting.status).toBe("PENDING");
    expect(waiting.attempts).toBe(1);
    expect(waiting.lockedUntil).toBeNull();
    expect(waiting.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(waiting.nextAttemptAt.getTime()).toBeGreaterThan(
      Date.now() + 20_000,
    );
    expect(waiting.textBody).not.toBeNull();

    await smtp.start();
    // The retry is not due yet, so a drain right away sends nothing.
    expect(await drainOutbox()).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
      expired: 0,
    });
    expect(smtp.messagesTo("down@example.com")).toHaveLength(0);

    const later = new Date(Date.now() + 60_000);
    expect(await drainOutbox({ now: later })).toEqual({
      sent: 1,
      retried: 0,
      failed: 0,
      expired: 0,
    });
    expect(
      await drainOutbox({ now: new Date(Date.now() + 2 * HOUR_MS) }),
    ).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
      expired: 0,
    });
    expect(smtp.messagesTo("down@example.com")).toHaveLength(1);

    const sent = await prisma.emailOutbox.findUniqueOrThrow({
      where: { id: queued.id },
    });
    expect(sent.status).toBe("SENT");
    expect(sent.attempts).toBe(2);
    expect(sent.sentAt).not.toBeNull();
    expect(sent.textBody).toBeNull();
    expect(sent.htmlBody).toBeNull();
  });
});

describe("delivered verification email", () => {
  it("has text and HTML parts with one link", async () => {
    await smtp.start();
    await register("parts@example.com");
    await drainOutbox();
    const [mail] = smtp.messagesTo("parts@example.com");
    expect(mail).toBeDefined();
    expect(mail!.from).toBe("no-reply@dokodo.test");
    expect(mail!.subject).toBe("Confirm your email address for Dokodo");

    const link = findLink(mail!, `${server.baseUrl}/verify-email?token=`);
    const token = new URL(link).searchParams.get("token")!;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(mail!.text).toContain("The link works once, for 24 hours.");
    expect(mail!.html).toContain(`href="${link}"`);
    expect(mail!.html).toContain("Confirm email address");

    const stored = await prisma.emailToken.findFirstOrThrow({
      where: { email: "parts@example.com", purpose: "VERIFY_EMAIL" },
    });
    expect(stored.tokenHash).toBe(
      createHash("sha256").update(token).digest("hex"),
    );
    const remaining = await prisma.emailOutbox.findMany({
      where: { recipient: "parts@example.com" },
    });
    expect(remaining.map((row) => row.textBody)).toEqual([null]);
  });
});

describe("concurrent drains", () => {
  it("send each of 45 messages once", async () => {
    await smtp.start();
    const before = smtp.messages.length;
    for (let index = 0; index < 45; index++) {
      await queueNotice("many@example.com", `Notice ${index}`);
    }
    const results = await Promise.all([
      drainOutbox(),
      drainOutbox(),
      drainOutbox(),
    ]);
    expect(results.reduce((sum, result) => sum + result.sent, 0)).toBe(45);

    const subjects = smtp.messages
      .slice(before)
      .map((message) => message.subject);
    expect(subjects).toHaveLength(45);
    expect(new Set(subjects).size).toBe(45);
    expect(await prisma.emailOutbox.count({ where: { status: "SENT" } })).toBe(
      45,
    );
  });
});

describe("undeliverable messages", () => {
  it("mark a rejected recipient failed", async () => {
    await smtp.start();
    await queueNotice("bounce@example.com", "Bounced notice");
    expect(await drainOutbox()).toEqual({
      sent: 0,
      retried: 0,
      failed: 1,
      expired: 0,
    });
    const row = await prisma.emailOutbox.findFirstOrThrow({
      where: { recipient: "bounce@example.com" },
    });
    expect(row.status).toBe("FAILED");
    expect(row.lastError).toContain("550");
    expect(row.textBody).toBeNull();
    expect(row.htmlBody).toBeNull();
  });

  it("discard messages past their lifetime", async () => {
    await smtp.start();
    const before = smtp.messages.length;
    await queueNotice(
      "late@example.com",
      "Expired notice",
      new Date(Date.now() - 1_000),
    );
    expect(await drainOutbox()).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
      expired: 1,
    });
    expect(smtp.messages.length).toBe(before);
    const row = await prisma.emailOutbox.findFirstOrThrow({
      where: { recipient: "late@example.com" },
    });
    expect(row.status).toBe("EXPIRED");
    expect(row.textBody).toBeNull();
  });
});

describe("worker loop", () => {
  it("sends when woken and stops cleanly", async () => {
    await smtp.start();
    const stop = startEmailWorker();
    try {
      await queueNotice("worker@example.com", "Worker notice");
      wakeEmailWorker();
      const deadline = Date.now() + 10_000;
      while (smtp.messagesTo("worker@example.com").length === 0) {
        if (Date.now() > deadline) throw new Error("The worker sent nothing.");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await stop();
    }
    expect(smtp.messagesTo("worker@example.com")).toHaveLength(1);
    const row = await prisma.emailOutbox.findFirstOrThrow({
      where: { recipient: "worker@example.com" },
    });
    expect(row.status).toBe("SENT");
  });
});

describe("purgeOldEmailRecords", () => {
  it("deletes finished rows and dead tokens after 30 days", async () => {
    const old = new Date(Date.now() - 31 * 24 * HOUR_MS);
    await queueNotice("old-pending@example.com", "Old pending");
    await queueNotice("old-sent@example.com", "Old sent");
    await queueNotice("new-sent@example.com", "New sent");
    await prisma.emailOutbox.updateMany({
      where: {
        recipient: { in: ["old-pending@example.com", "old-sent@example.com"] },
      },
      data: { createdAt: old },
    });
    await prisma.emailOutbox.updateMany({
      where: {
        recipient: { in: ["old-sent@example.com", "new-sent@example.com"] },
      },
      data: { status: "SENT", textBody: null, htmlBody: null },
    });
    await register("purge@example.com");
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "purge@example.com" },
    });
    await prisma.emailToken.updateMany({
      where: { userId: user.id },
      data: { expiresAt: old },
    });

    const purged = await purgeOldEmailRecords();
    expect(purged.emails).toBe(1);
    expect(purged.tokens).toBe(1);
    const recipients = (await prisma.emailOutbox.findMany()).map(
      (row) => row.recipient,
    );
    expect(recipients).not.toContain("old-sent@example.com");
    expect(recipients).toContain("old-pending@example.com");
    expect(recipients).toContain("new-sent@example.com");
  });
});

describe("email settings", () => {
  function problemsOf(source: Record<string, string>): string[] {
    try {
      parseEnv(source);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it("accept smtp and smtps URLs", () => {
    expect(parseEnv({ SMTP_URL: "smtp://127.0.0.1:2525" }).SMTP_URL).toBe(
      "smtp://127.0.0.1:2525",
    );
    expect(
      problemsOf({ SMTP_URL: "smtps://user:pass@mail.example.com:465" }),
    ).toEqual([]);
  });

  it("reject other schemes", () => {
    expect(problemsOf({ SMTP_URL: "https://mail.example.com" })).toEqual([
      "SMTP_URL: must start with smtp:// or smtps://",
    ]);
  });

  it("check the sender format", () => {
    expect(problemsOf({ EMAIL_FROM: "Dokodo <no-reply@example.com>" })).toEqual(
      [],
    );
    expect(problemsOf({ EMAIL_FROM: "no-reply@example.com" })).toEqual([]);
    expect(problemsOf({ EMAIL_FROM: "Dokodo" })).toEqual([
      'EMAIL_FROM: must be an address such as "Dokodo <no-reply@example.com>" or no-reply@example.com',
    ]);
  });
});

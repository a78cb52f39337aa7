import { createServer as createNetServer } from "node:net";

import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** One message the test SMTP server accepted, parsed. */
export type ReceivedMail = {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
};

/**
 * A real SMTP server on 127.0.0.1 that keeps every message it accepts.
 * It offers neither STARTTLS nor AUTH, so nodemailer sends in plain text.
 */
export type TestSmtpServer = {
  port: number;
  /** The SMTP_URL that points the app at this server. */
  url: string;
  messages: ReceivedMail[];
  /** Starts listening on `port` unless already listening. */
  start: () => Promise<void>;
  stop: () => Promise<void>;
  /** Returns the messages sent to an address, oldest first. */
  messagesTo: (address: string) => ReceivedMail[];
};

/** Returns a TCP port on 127.0.0.1 that nothing listens on right now. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("The operating system assigned no port.")),
      );
    });
  });
}

/**
 * Creates a test SMTP server for a fixed free port without starting it, so
 * a test can first observe the app while the server is down. Recipients in
 * `rejectRecipients` get a permanent 550 reply.
 */
export async function createSmtpServer(
  options: { rejectRecipients?: string[] } = {},
): Promise<TestSmtpServer> {
  const port = await findFreePort();
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | null = null;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      if (server) return resolve();
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS", "AUTH"],
        logger: false,
        onRcptTo(address, _session, callback) {
          if (options.rejectRecipients?.includes(address.address)) {
            const error = new Error("Mailbox does not exist") as Error & {
              responseCode: number;
            };
            error.responseCode = 550;
            callback(error);
            return;
          }
          callback();
        },
        onData(stream, session, callback) {
          simpleParser(stream).then(
            (parsed) => {
              messages.push({
                from: session.envelope.mailFrom
                  ? session.envelope.mailFrom.address
                  : "",
                to: session.envelope.rcptTo.map(
                  (recipient) => recipient.address,
                ),
                subject: parsed.subject ?? "",
                text: parsed.text ?? "",
                html: typeof parsed.html === "string" ? parsed.html : "",
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        },
      });
      server.on("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      const running = server;
      server = null;
      running.close(() => resolve());
    });

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    start,
    stop,
    messagesTo: (address) =>
      messages.filter((message) => message.to.includes(address)),
  };
}

/** Returns the first link in a message's text part that starts with `prefix`. */
export function findLink(mail: ReceivedMail, prefix: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.startsWith(prefix));
  if (!link) {
    throw new Error(`No link starting with ${prefix} in: ${mail.text}`);
  }
  return link;
}

/**
 * Finishes the app's background tasks (such as a password reset lookup),
 * then sends every due outbox row through the configured transport.
 */
export async function deliverQueuedEmail(): Promise<void> {
  const { settleBackgroundTasks } = await import("~/utils/background.server");
  const { drainOutbox } = await import("~/modules/email/outbox.server");
  await settleBackgroundTasks();
  await drainOutbox();
}

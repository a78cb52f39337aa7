import nodemailer from "nodemailer";

import { getEnv } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { singleton } from "~/utils/singleton.server";

/** One email as the outbox stores it: a text and an HTML part. */
export type OutgoingEmail = {
  to: string;
  subject: string;
  text: string;
  html: string;
};

/** Delivers one email or throws the transport's error. */
export type MailTransport = {
  kind: "smtp" | "log";
  send: (email: OutgoingEmail) => Promise<void>;
};

/** Seconds-scale limits keep one send well inside the outbox claim lease. */
const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
const SMTP_GREETING_TIMEOUT_MS = 10_000;
const SMTP_SOCKET_TIMEOUT_MS = 30_000;

/** Returns EMAIL_FROM, or "Dokodo <no-reply@HOST>" for the APP_ORIGIN host. */
export function getSender(): string {
  const env = getEnv();
  return (
    env.EMAIL_FROM ?? `Dokodo <no-reply@${new URL(env.APP_ORIGIN).hostname}>`
  );
}

function createSmtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
  });
  return {
    kind: "smtp",
    send: async (email) => {
      await transporter.sendMail({
        from: getSender(),
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
      });
    },
  };
}

/**
 * Creates the development transport, which writes the text part, links
 * included, to the log instead of sending it. Production configuration
 * requires SMTP_URL, so this transport never runs there.
 */
function createLogTransport(): MailTransport {
  return {
    kind: "log",
    send: async (email) => {
      logger.info(
        {
          event: "email.logged",
          to: email.to,
          subject: email.subject,
          text: email.text,
        },
        "email written to the log because SMTP_URL is not set",
      );
    },
  };
}

/**
 * Returns the process-wide transport: SMTP when SMTP_URL is set, else the
 * log transport. The URL may hold SMTP credentials, so it is never logged.
 */
export function getMailTransport(): MailTransport {
  return singleton("mailTransport", () => {
    const url = getEnv().SMTP_URL;
    return url ? createSmtpTransport(url) : createLogTransport();
  });
}

/**
 * True when retrying cannot help: the server refused the sender or every
 * recipient with a 5xx reply, or nodemailer rejected an address before
 * connecting. Connection, authentication and 4xx errors are transient.
 */
export function isPermanentDeliveryError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, responseCode } = error as {
    code?: unknown;
    responseCode?: unknown;
  };
  if (code === "EMESSAGE") return true;
  if (code !== "EENVELOPE") return false;
  return typeof responseCode !== "number" || responseCode >= 500;
}

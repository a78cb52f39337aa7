// Account emails. Each builder returns a text and an HTML part with the same
// content; links are absolute URLs on APP_ORIGIN, never on the request's
// Host header.
import { getEnv } from "~/utils/env.server";

import type { QueuedEmail } from "./outbox.server";
import { escapeHtml } from "~/utils/html";

/** Template names, stored on outbox rows. */
export type EmailKind =
  | "verify-email"
  | "registration-attempt"
  | "password-reset"
  | "password-changed"
  | "email-change-verify"
  | "email-change-requested"
  | "email-changed"
  | "email-in-use"
  | "new-device-sign-in";

/** How long a notice without a link is worth delivering. */
const NOTICE_LIFETIME_MS = 7 * 24 * 60 * 60_000;

type EmailContent = {
  kind: EmailKind;
  to: string;
  subject: string;
  name?: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Text after the button, such as how long the link works. */
  footnote?: string;
  discardAfter?: Date;
};

/** Returns an absolute URL on APP_ORIGIN for a path and query parameters. */
export function appUrl(
  path: string,
  query: Record<string, string> = {},
): string {
  const url = new URL(path, getEnv().APP_ORIGIN);
  for (const [key, value] of Object.entries(query)) {
    url.searchParams.set(key, value);
  }
  return url.toString();
}

function compose(content: EmailContent): QueuedEmail {
  const greeting = content.name ? `Hello ${content.name},` : "Hello,";
  const lines = [greeting, "", ...content.paragraphs.flatMap((p) => [p, ""])];
  if (content.action) {
    lines.push(`${content.action.label}:`, content.action.url, "");
  }
  if (content.footnote) lines.push(content.footnote, "");
  lines.push("— Dokodo");

  const paragraph = (text: string) =>
    `<p style="margin:0 0 16px">${escapeHtml(text)}</p>`;
  const html = [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="font-family:sans-serif;color:#0f172a;line-height:1.5">',
    paragraph(greeting),
    ...content.paragraphs.map(paragraph),
    content.action
      ? `<p style="margin:0 0 16px"><a href="${escapeHtml(content.action.url)}" style="display:inline-block;background:#0f766e;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(content.action.label)}</a></p>` +
        paragraph(`If the button does not work, open ${content.action.url}`)
      : "",
    content.footnote ? paragraph(content.footnote) : "",
    paragraph("— Dokodo"),
    "</body></html>",
  ].join("");

  return {
    kind: content.kind,
    to: content.to,
    subject: content.subject,
    text: lines.join("\n"),
    html,
    discardAfter:
      content.discardAfter ?? new Date(Date.now() + NOTICE_LIFETIME_MS),
  };
}

/**
 * Builds the email that confirms a new account's address. It greets no one
 * by name, because the person who registered typed the name and may not
 * own the inbox, so the name must not reach that inbox as text.
 */
export function verificationEmail(input: {
  to: string;
  token: string;
  expiresAt: Date;
}): QueuedEmail {
  return compose({
    kind: "verify-email",
    to: input.to,
    subject: "Confirm your email address for Dokodo",
    paragraphs: [
      "Thanks for creating a Dokodo account. Confirm that this address is yours so we can reach you about your account.",
    ],
    action: {
      label: "Confirm email address",
      url: appUrl("/verify-email", { token: input.token }),
    },
    footnote:
      "The link works once, for 24 hours. If you did not create an account, ignore this email.",
    discardAfter: input.expiresAt,
  });
}

/**
 * Builds the notice sent when someone registers with an address that
 * already has an account, in place of a second verification link.
 */
export function registrationAttemptEmail(input: {
  to: string;
  name: string;
}): QueuedEmail {
  return compose({
    kind: "registration-attempt",
    to: input.to,
    name: input.name,
    subject: "Someone tried to create a Dokodo account with your address",
    paragraphs: [
      "Someone tried to create a new Dokodo account with this email address. You already have an account, so nothing was created.",
      "If it was you, sign in instead. If you forgot your password, reset it from the sign-in page.",
    ],
    action: { label: "Reset your password", url: appUrl("/forgot-password") },
    footnote: `Sign in at ${appUrl("/login")}. If it was not you, you can ignore this email.`,
  });
}

/** Builds the password reset link. */
export function passwordResetEmail(input: {
  to: string;
  name: string;
  token: string;
  expiresAt: Date;
}): QueuedEmail {
  return compose({
    kind: "password-reset",
    to: input.to,
    name: input.name,
    subject: "Reset your Dokodo password",
    paragraphs: [
      "Someone asked to reset the password of your Dokodo account. Choose a new password with the link below.",
    ],
    action: {
      label: "Choose a new password",
      url: appUrl("/reset-password", { token: input.token }),
    },
    footnote:
      "The link works once, for 1 hour. If you did not ask for it, ignore this email; your password stays as it is.",
    discardAfter: input.expiresAt,
  });
}

/** Builds the notice that the password was changed or reset. */
export function passwordChangedEmail(input: {
  to: string;
  name: string;
  via: "change" | "reset";
}): QueuedEmail {
  const how =
    input.via === "reset"
      ? "was reset with a link sent to this address, and every device was signed out"
      : "was changed, and every other device was signed out";
  return compose({
    kind: "password-changed",
    to: input.to,
    name: input.name,
    subject: "Your Dokodo password was changed",
    paragraphs: [
      `The password of your Dokodo account ${how}.`,
      "If you did not do this, reset your password now and review your active sessions.",
    ],
    action: { label: "Reset your password", url: appUrl("/forgot-password") },
  });
}

/** Builds the link that confirms a new address for an existing account. */
export function emailChangeVerificationEmail(input: {
  to: string;
  name: string;
  token: string;
  expiresAt: Date;
}): QueuedEmail {
  return compose({
    kind: "email-change-verify",
    to: input.to,
    name: input.name,
    subject: "Confirm your new email address for Dokodo",
    paragraphs: [
      "You asked to use this address for your Dokodo account. The change takes effect once you confirm it.",
    ],
    action: {
      label: "Confirm new email address",
      url: appUrl("/verify-email", { token: input.token }),
    },
    footnote:
      "The link works once, for 24 hours. If you did not ask for this, ignore this email.",
    discardAfter: input.expiresAt,
  });
}

/** Builds the notice to the current address that a change was requested. */
export function emailChangeRequestedEmail(input: {
  to: string;
  name: string;
  newEmail: string;
}): QueuedEmail {
  return compose({
    kind: "email-change-requested",
    to: input.to,
    name: input.name,
    subject: "Your Dokodo email address is about to change",
    paragraphs: [
      `Someone signed in to your Dokodo account asked to change its email address to ${input.newEmail}. The change takes effect when that address confirms it.`,
      "If this was not you, change your password now and sign out your other sessions in Settings.",
    ],
    action: { label: "Open settings", url: appUrl("/settings/sessions") },
  });
}

/** Builds the notice to the former address that the change took effect. */
export function emailChangedEmail(input: {
  to: string;
  name: string;
  newEmail: string;
}): QueuedEmail {
  return compose({
    kind: "email-changed",
    to: input.to,
    name: input.name,
    subject: "Your Dokodo email address was changed",
    paragraphs: [
      `Your Dokodo account now uses ${input.newEmail}. This address no longer receives its emails.`,
      "If you did not make this change, contact the Dokodo administrator of your installation.",
    ],
  });
}

/**
 * Builds the notice sent to an address that another account tried to switch
 * to. The requester gets the same response as for a free address, so the
 * notice goes to the address's owner instead.
 */
export function emailInUseEmail(input: {
  to: string;
  name: string;
}): QueuedEmail {
  return compose({
    kind: "email-in-use",
    to: input.to,
    name: input.name,
    subject: "Someone tried to use your address for another Dokodo account",
    paragraphs: [
      "Someone asked to move another Dokodo account to this email address. It already belongs to your account, so nothing changed.",
      "You do not need to do anything. If you forgot your password, reset it from the sign-in page.",
    ],
    action: { label: "Reset your password", url: appUrl("/forgot-password") },
  });
}

/** Formats a time as "2026-12-08 14:05 UTC". */
function formatUtcMinute(time: Date): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * Builds the notice of a sign-in from a browser and network that the
 * account has not used for 90 days. `ipHint` must already hide most of the
 * address, because the email is kept in the outbox and in the inbox.
 */
export function newDeviceSignInEmail(input: {
  to: string;
  name: string;
  signedInAt: Date;
  browser: string;
  os: string;
  ipHint: string;
}): QueuedEmail {
  return compose({
    kind: "new-device-sign-in",
    to: input.to,
    name: input.name,
    subject: "New sign-in to your Dokodo account",
    paragraphs: [
      "Your Dokodo account was signed in to from a browser and network that it has not used in the last 90 days.",
      `Time: ${formatUtcMinute(input.signedInAt)}`,
      `Browser: ${input.browser} on ${input.os}`,
      `IP address: ${input.ipHint}`,
      "If this was you, you do not need to do anything. If it was not you, change your password now, which signs out every other session, and review your sessions.",
    ],
    action: {
      label: "Review your sessions",
      url: appUrl("/settings/sessions"),
    },
    footnote: `Change your password at ${appUrl("/settings/password")}. If you cannot sign in, reset it at ${appUrl("/forgot-password")}.`,
  });
}

// TOTP (RFC 6238) through @epic-web/totp 4.0.1, with the parameters every
// authenticator app supports: HMAC-SHA-1, 6 digits, 30-second steps. The
// library reads the clock itself and does not remember used codes, so this
// wrapper reports which time step a code matched and the caller stores it.
import { randomBytes } from "node:crypto";

import { generateTOTP, getTOTPAuthUri, verifyTOTP } from "@epic-web/totp";
import QRCode from "qrcode";

export const TOTP_ALGORITHM = "SHA-1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one, for clock drift. */
export const TOTP_WINDOW_STEPS = 1;
export const TOTP_ISSUER = "Dokodo";
/** 160 bits, the HMAC-SHA-1 key length that RFC 4226 recommends. */
const SECRET_BYTES = 20;

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Encodes bytes as RFC 4648 base32 without padding. */
export function encodeBase32(bytes: Uint8Array): string {
  let output = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return output;
}

/** Returns a new random 20-byte TOTP secret in base32 (32 characters). */
export function generateTotpSecret(): string {
  return encodeBase32(randomBytes(SECRET_BYTES));
}

/** Returns the TOTP time step of a Unix time in milliseconds. */
export function totpStepAt(timeMs: number): number {
  return Math.floor(timeMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * Returns the code for the current time. `digits` other than 6 exist only
 * for the RFC 6238 test vectors, which use 8.
 */
export async function generateTotpCode(
  secret: string,
  digits: number = TOTP_DIGITS,
): Promise<string> {
  const { otp } = await generateTOTP({
    secret,
    digits,
    period: TOTP_PERIOD_SECONDS,
    algorithm: TOTP_ALGORITHM,
  });
  return otp;
}

/**
 * Returns the time step that `code` matches within ±TOTP_WINDOW_STEPS of
 * now, or null. It does not check reuse: the caller must accept a step only
 * if it is newer than the last one it accepted for the secret.
 *
 * The library reads the clock inside verifyTOTP and reports only the offset
 * from its own current step. When a step boundary passes during the call,
 * that step is unknown, so the check runs again.
 *
 * NOTE: @epic-web/totp compares the expected code with `===`, not in
 * constant time. Each guess costs a sign-in attempt (5 per challenge, and
 * the account lockout), which keeps a timing attack on 6 digits impractical.
 */
export async function matchTotpStep(
  code: string,
  secret: string,
): Promise<number | null> {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return null;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const before = totpStepAt(Date.now());
    const match = await verifyTOTP({
      otp: code,
      secret,
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_SECONDS,
      algorithm: TOTP_ALGORITHM,
      window: TOTP_WINDOW_STEPS,
    });
    if (totpStepAt(Date.now()) === before) {
      return match ? before + match.delta : null;
    }
  }
  throw new Error(
    "TOTP verification crossed a time-step boundary three times in a row; check the system clock.",
  );
}

/** Returns the otpauth:// URI that authenticator apps read from the QR code. */
export function buildTotpAuthUri(secret: string, accountName: string): string {
  return getTOTPAuthUri({
    secret,
    accountName,
    issuer: TOTP_ISSUER,
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/**
 * Renders the otpauth:// URI as an SVG QR code in a data: URL, which the
 * Content-Security-Policy's img-src allows and which needs no script.
 */
export async function renderTotpQrCode(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, {
    type: "svg",
    errorCorrectionLevel: "M",
    margin: 2,
  });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/** Formats a base32 secret in groups of four for typing it by hand. */
export function formatManualKey(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

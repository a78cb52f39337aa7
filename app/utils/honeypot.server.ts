import { createHmac } from "node:crypto";

import { Honeypot, SpamError } from "remix-utils/honeypot/server";
import type { HoneypotInputProps } from "remix-utils/honeypot/server";

import { getEnv } from "./env.server";
import { logger } from "./logger.server";
import { singleton } from "./singleton.server";
import { httpError } from "./http-error.server";

/**
 * The honeypot on the public forms (sign-in, registration). Its timestamp
 * field is encrypted with a key derived from the first SESSION_SECRET, so
 * forms rendered before a restart still validate after it.
 */
const honeypot = singleton("honeypot", () => {
  const secret = getEnv().SESSION_SECRET?.[0];
  if (!secret) {
    throw new Error(
      "SESSION_SECRET was not resolved before the honeypot was used.",
    );
  }
  return new Honeypot({
    encryptionSeed: createHmac("sha256", secret)
      .update("dokodo honeypot")
      .digest("base64"),
  });
});

/** Returns the field names and encrypted timestamp for `<HoneypotFields>`. */
export function getHoneypotInputProps(): HoneypotInputProps {
  return honeypot.getInputProps();
}

/**
 * Checks the honeypot fields of a submitted form. Throws a 400 response, and
 * changes nothing, when the hidden field is filled or the timestamp is
 * missing, forged or in the future. A form without any honeypot field
 * passes, as remix-utils 7 decides, so scripted clients that never loaded
 * the page are left to the CSRF check.
 */
export function checkHoneypot(formData: FormData, request: Request): void {
  try {
    honeypot.check(formData);
  } catch (error) {
    if (error instanceof SpamError) {
      logger.warn(
        {
          event: "honeypot.rejected",
          reason: error.message,
          path: new URL(request.url).pathname,
        },
        "form rejected by the honeypot",
      );
      throw httpError(
        400,
        "This form looked automated and was not accepted. Reload the page and submit it again.",
      );
    }
    throw error;
  }
}

import { createHmac } from "node:crypto";

import { Honeypot, SpamError } from "remix-utils/honeypot/server";
import type { HoneypotInputProps } from "remix-utils/honeypot/server";

import { getEnv } from "./env.server";
import { logger } from "./logger.server";
import { singleton } from "./singleton.server";
import { httpError } from "./http-error.server";

/**
 * The honeypot on the public forms (sign-in, registration), one per
 * SESSION_SECRET. Each encrypts the timestamp field with a key derived from
 * its secret, so forms rendered before a restart still validate after it.
 * The first issues new forms, and a form encrypted with any listed secret
 * validates, so forms from before a rotation keep working.
 */
const honeypots = singleton("honeypots", () => {
  const secrets = getEnv().SESSION_SECRET ?? [];
  if (secrets.length === 0) {
    throw new Error(
      "SESSION_SECRET was not resolved before the honeypot was used.",
    );
  }
  return secrets.map(
    (secret) =>
      new Honeypot({
        encryptionSeed: createHmac("sha256", secret)
          .update("dokodo honeypot")
          .digest("base64"),
      }),
  );
});

/** Returns the field names and encrypted timestamp for `<HoneypotFields>`. */
export function getHoneypotInputProps(): HoneypotInputProps {
  return honeypots[0]!.getInputProps();
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
    checkWithAnySecret(formData);
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

/**
 * Checks the form with each secret's honeypot in turn and returns at the
 * first that accepts it. Otherwise throws the first honeypot's SpamError.
 * remix-utils 7 decrypts the timestamp with crypto-js, which throws a plain
 * "Malformed UTF-8 data" Error for some values encrypted with another key
 * or forged. That counts as an invalid timestamp, not a server error.
 */
function checkWithAnySecret(formData: FormData): void {
  let firstError: SpamError | undefined;
  for (const honeypot of honeypots) {
    try {
      honeypot.check(formData);
      return;
    } catch (error) {
      if (error instanceof SpamError) {
        firstError ??= error;
      } else if (
        error instanceof Error &&
        error.message === "Malformed UTF-8 data"
      ) {
        firstError ??= new SpamError("Invalid honeypot valid from input");
      } else {
        throw error;
      }
    }
  }
  throw firstError;
}

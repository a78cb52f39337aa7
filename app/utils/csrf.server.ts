import { createCookie } from "@remix-run/node";
import { CSRF, CSRFError } from "remix-utils/csrf/server";

import { getEnv } from "./env.server";
import { logger } from "./logger.server";
import { singleton } from "./singleton.server";
import { httpError } from "./http-error.server";

/** Name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = "csrf";

/**
 * Double-submit CSRF protection: a random token in a signed, HttpOnly cookie
 * and the same token, signed again, in each form's hidden `csrf` field. The
 * cookie lives as long as the browser session, so several open tabs share it.
 *
 * remix-utils 7 signs the token with one secret, so there is one instance
 * per SESSION_SECRET, all on the same cookie (whose own signature accepts
 * every listed secret). The first instance issues new tokens, and
 * validation accepts a token signed with any listed secret, so forms and
 * cookies from before a rotation keep working.
 */
const csrfBySecret = singleton("csrfBySecret", () => {
  const env = getEnv();
  const secrets = env.SESSION_SECRET ?? [];
  const cookie = createCookie(
    env.COOKIE_SECURE ? "__Host-dokodo_csrf" : "dokodo_csrf",
    {
      httpOnly: true,
      sameSite: "lax",
      secure: env.COOKIE_SECURE,
      path: "/",
      secrets,
    },
  );
  const signingSecrets = secrets.length > 0 ? secrets : [undefined];
  return signingSecrets.map(
    (secret) => new CSRF({ cookie, formDataKey: CSRF_FIELD, secret }),
  );
});

/**
 * Returns the CSRF token for the page and, when the browser has none yet,
 * the Set-Cookie header that stores it.
 */
export function commitCsrfToken(
  request: Request,
): Promise<readonly [string, string | null]> {
  return csrfBySecret[0]!.commitToken(request);
}

/**
 * Checks the form's CSRF token against the cookie. When it does not match,
 * throws a 403 response asking the user to reload, and changes nothing.
 */
export async function validateCsrf(
  formData: FormData,
  request: Request,
): Promise<void> {
  try {
    await validateWithAnySecret(formData, request.headers);
  } catch (error) {
    if (error instanceof CSRFError) {
      logger.warn(
        { event: "csrf.rejected", reason: error.code, method: request.method },
        "CSRF token rejected",
      );
      throw httpError(
        403,
        "This form has expired or did not come from Dokodo. Reload the page and submit it again.",
      );
    }
    throw error;
  }
}

/**
 * Validates with each secret's instance in turn. Only the cookie token's
 * signature depends on the secret, so any other CSRFError is final, and
 * when no secret verifies the signature the first instance's error is
 * thrown.
 */
async function validateWithAnySecret(
  formData: FormData,
  headers: Headers,
): Promise<void> {
  let firstError: unknown;
  for (const instance of csrfBySecret) {
    try {
      await instance.validate(formData, headers);
      return;
    } catch (error) {
      const signatureFailed =
        error instanceof CSRFError && error.code === "tampered_token_in_cookie";
      if (!signatureFailed) throw error;
      firstError ??= error;
    }
  }
  throw firstError;
}

/**
 * Reads a page form and checks its CSRF token. A body that does not parse
 * as its declared Content-Type (a broken multipart boundary, say) or a
 * field with a NUL character is a 400 rather than a server error, and
 * nothing is changed.
 */
export async function readCheckedForm(request: Request): Promise<FormData> {
  let formData: FormData;
  try {
    formData = await request.formData();
  } catch (error) {
    logger.warn(
      {
        event: "form.unreadable",
        contentType: request.headers.get("content-type"),
        reason: error instanceof Error ? error.message : String(error),
      },
      "form body could not be parsed",
    );
    throw httpError(
      400,
      "The form could not be read because its body does not match its Content-Type. Reload the page and submit the form again.",
    );
  }
  await validateCsrf(formData, request);
  rejectNulCharacters(formData);
  return formData;
}

/** Maximum length, in UTF-16 code units, of a field name that an error message quotes in full. */
const MAX_QUOTED_FIELD_NAME = 64;

/**
 * Throws a 400 naming the first field whose name or text value contains
 * U+0000, which PostgreSQL text cannot store. Passwords are checked too,
 * so that every form of the site follows one rule. File fields are left to
 * their readers. The Prisma extension in db.server.ts stays the backstop
 * for input that does not come through this function.
 */
function rejectNulCharacters(formData: FormData): void {
  for (const [name, value] of formData) {
    const textValue = typeof value === "string" ? value : "";
    if (!name.includes("\u0000") && !textValue.includes("\u0000")) continue;

    const shortName =
      name.length > MAX_QUOTED_FIELD_NAME
        ? `${name.slice(0, MAX_QUOTED_FIELD_NAME)}…`
        : name;
    // JSON quoting shows a NUL or other control character in the name as
    // an escape sequence instead of the character itself.
    const quotedName = JSON.stringify(shortName);
    logger.warn(
      { event: "form.nul_rejected", field: quotedName },
      "form field contains a NUL character",
    );
    throw httpError(
      400,
      `The field ${quotedName} contains a NUL character (U+0000), which cannot be stored. Remove it and submit the form again.`,
    );
  }
}

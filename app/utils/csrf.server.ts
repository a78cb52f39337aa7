import { createCookie } from "@remix-run/node";
import { CSRF, CSRFError } from "remix-utils/csrf/server";

import { getEnv } from "./env.server";
import { logger } from "./logger.server";
import { singleton } from "./singleton.server";

/** Name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = "csrf";

/**
 * Double-submit CSRF protection: a random token in a signed, HttpOnly cookie
 * and the same token, signed again, in each form's hidden `csrf` field. The
 * cookie lives as long as the browser session, so several open tabs share it.
 */
const csrf = singleton("csrf", () => {
  const env = getEnv();
  const secrets = env.SESSION_SECRET ?? [];
  return new CSRF({
    cookie: createCookie(
      env.COOKIE_SECURE ? "__Host-dokodo_csrf" : "dokodo_csrf",
      {
        httpOnly: true,
        sameSite: "lax",
        secure: env.COOKIE_SECURE,
        path: "/",
        secrets,
      },
    ),
    formDataKey: CSRF_FIELD,
    secret: secrets[0],
  });
});

/**
 * Returns the CSRF token for the page and, when the browser has none yet,
 * the Set-Cookie header that stores it.
 */
export function commitCsrfToken(
  request: Request,
): Promise<readonly [string, string | null]> {
  return csrf.commitToken(request);
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
    await csrf.validate(formData, request.headers);
  } catch (error) {
    if (error instanceof CSRFError) {
      logger.warn(
        { event: "csrf.rejected", reason: error.code, method: request.method },
        "CSRF token rejected",
      );
      throw new Response(
        "This form has expired or did not come from Dokodo. Reload the page and submit it again.",
        { status: 403, statusText: "Forbidden" },
      );
    }
    throw error;
  }
}

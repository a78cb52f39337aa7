import bcrypt from "bcryptjs";

import { getEnv } from "~/utils/env.server";
import type { PasswordContext, PasswordPolicy } from "~/utils/password-policy";
import {
  createPasswordSchema,
  loadStrengthEstimator,
  PASSWORD_MAX_BYTES,
  utf8ByteLength,
} from "~/utils/password-policy";

/** Returns the policy chosen by PASSWORD_POLICY. */
export function getPasswordPolicy(): PasswordPolicy {
  return getEnv().PASSWORD_POLICY;
}

/** A new password that passed the policy, or the messages of unmet rules. */
export type NewPasswordResult =
  { ok: true; password: string } | { ok: false; errors: string[] };

/**
 * Checks a submitted new password against the configured policy, with the
 * account's email and name as words it must not be built from.
 */
export async function checkNewPassword(
  value: unknown,
  context: PasswordContext,
): Promise<NewPasswordResult> {
  const schema = createPasswordSchema({
    policy: getPasswordPolicy(),
    context,
    estimator: await loadStrengthEstimator(),
  });
  const parsed = schema.safeParse(value ?? undefined);
  if (parsed.success) return { ok: true, password: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => issue.message),
  };
}

/**
 * Returns true when `password` matches the stored bcrypt hash. A password
 * over 72 bytes never matches, because bcrypt would compare only its prefix
 * and no stored password is longer.
 */
export async function verifyPassword(
  password: unknown,
  passwordHash: string,
): Promise<boolean> {
  const valid =
    typeof password === "string" &&
    password.length > 0 &&
    utf8ByteLength(password) <= PASSWORD_MAX_BYTES;
  const matches = await bcrypt.compare(valid ? password : "", passwordHash);
  return valid && matches;
}

import { redirect } from "@remix-run/node";
import bcrypt from "bcryptjs";
import { Authenticator } from "remix-auth";
import { FormStrategy } from "remix-auth-form";
import { z } from "zod";

import { prisma } from "./db.server";
import { PASSWORD_MAX_BYTES, utf8ByteLength } from "./password-policy";
import { getSession } from "./session.server";
import { singleton } from "./singleton.server";

export const BCRYPT_COST = 12;

/**
 * A cost-12 bcrypt hash of a discarded random string. Sign-in compares
 * against it when the email is unknown, so unknown and known accounts take
 * the same time to reject.
 */
const UNKNOWN_USER_HASH =
  "$2b$12$3jrh0KhdvN4IpOpForhVFe4R85jMHokZ9ogyyVzi4b3SGfATWfyW2";

/** The one message for every failed sign-in, whatever the cause. */
export const INVALID_CREDENTIALS_MESSAGE = "Email or password is incorrect.";

export const emailSchema = z
  .string({ required_error: "Enter your email address." })
  .trim()
  .toLowerCase()
  .min(1, "Enter your email address.")
  .max(254, "Use an email address of at most 254 characters.")
  .email("Enter a valid email address, such as name@example.com.");

/** Returns a cost-12 bcrypt hash of a password. */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

/**
 * Runs one cost-12 bcrypt comparison against a hash that matches nothing, so
 * a sign-in rejected without checking the password (a locked email) takes
 * as long as one that checked it. The outcome is ignored.
 */
export async function compareWithUnknownHash(
  password: FormDataEntryValue | null,
): Promise<void> {
  await bcrypt.compare(
    typeof password === "string" ? password : "",
    UNKNOWN_USER_HASH,
  );
}

/** Thrown by the form strategy when the email or password is wrong. */
export class InvalidCredentialsError extends Error {
  /** `userId` is set when the email belongs to an account, for the audit log only. */
  constructor(readonly userId: string | null) {
    super(INVALID_CREDENTIALS_MESSAGE);
    this.name = "InvalidCredentialsError";
  }
}

/**
 * Returns the user whose email and password match the form, or throws
 * InvalidCredentialsError. Every path runs one bcrypt comparison.
 */
async function verifyCredentials(form: FormData): Promise<{ id: string }> {
  const email = emailSchema.safeParse(form.get("email"));
  const password = form.get("password");
  const validPassword =
    typeof password === "string" &&
    password.length > 0 &&
    // A stored password never exceeds 72 bytes, and bcrypt would ignore the
    // excess, so a longer input must not be allowed to match its prefix.
    utf8ByteLength(password) <= PASSWORD_MAX_BYTES;

  const user = email.success
    ? await prisma.user.findUnique({
        where: { email: email.data },
        select: { id: true, passwordHash: true },
      })
    : null;
  const matches = await bcrypt.compare(
    validPassword ? password : "",
    user?.passwordHash ?? UNKNOWN_USER_HASH,
  );
  if (!user || !validPassword || !matches) {
    throw new InvalidCredentialsError(user?.id ?? null);
  }
  return { id: user.id };
}

/** The remix-auth authenticator, whose "form" strategy checks email and password. */
export const authenticator = singleton("authenticator", () => {
  const instance = new Authenticator<{ id: string }>();
  instance.use(new FormStrategy(({ form }) => verifyCredentials(form)), "form");
  return instance;
});

/** Returns the signed-in user's ID, or null. */
export async function getUserId(request: Request): Promise<string | null> {
  const session = await getSession(request);
  return session?.userId ?? null;
}

/**
 * Returns the signed-in user's ID. Throws a redirect to /login, carrying the
 * current path as redirectTo, when no user is signed in.
 */
export async function requireUserId(request: Request): Promise<string> {
  const userId = await getUserId(request);
  if (!userId) {
    const url = new URL(request.url);
    const searchParams = new URLSearchParams({
      redirectTo: `${url.pathname}${url.search}`,
    });
    throw redirect(`/login?${searchParams}`);
  }
  return userId;
}

/** Throws a redirect to /items when someone is already signed in. */
export async function requireAnonymous(request: Request): Promise<void> {
  if (await getUserId(request)) {
    throw redirect("/items");
  }
}

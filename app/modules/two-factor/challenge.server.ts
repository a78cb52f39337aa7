// The step between a correct password and a session for users with
// two-step sign-in. The browser keeps a random token in a short-lived,
// signed, HttpOnly cookie; the database keeps only its SHA-256 hash, the
// user and the remaining attempts. No session exists until a code passes.
import { randomBytes } from "node:crypto";

import { createCookie } from "@remix-run/node";

import { prisma } from "~/utils/db.server";
import { getEnv } from "~/utils/env.server";
import { hashToken } from "~/utils/session.server";
import { singleton } from "~/utils/singleton.server";

/** How long a challenge accepts codes, in milliseconds. */
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
/** Codes a challenge accepts, right or wrong, before it ends. */
export const CHALLENGE_MAX_ATTEMPTS = 5;
const TOKEN_BYTES = 32;
/** Longer redirect targets are replaced by the default page. */
const REDIRECT_MAX_LENGTH = 2_000;

/** The challenge cookie; __Host- prefixed when cookies are Secure. */
const challengeCookie = singleton("signInChallengeCookie", () => {
  const env = getEnv();
  return createCookie(env.COOKIE_SECURE ? "__Host-dokodo_2fa" : "dokodo_2fa", {
    httpOnly: true,
    sameSite: "lax",
    secure: env.COOKIE_SECURE,
    path: "/",
    secrets: env.SESSION_SECRET ?? [],
    maxAge: CHALLENGE_LIFETIME_MS / 1000,
  });
});

/** A live challenge as the second sign-in step reads it. */
export type SignInChallenge = {
  id: string;
  userId: string;
  redirectTo: string;
  attempts: number;
};

/**
 * Creates a challenge for a user who passed the password step and returns
 * the Set-Cookie header carrying its token. Expired challenges of every
 * user are deleted on the way, so abandoned rows do not pile up.
 */
export async function startSignInChallenge(
  userId: string,
  redirectTo: string,
): Promise<string> {
  const token = randomBytes(TOKEN_BYTES).toString("base64url");
  await prisma.signInChallenge.deleteMany({
    where: { expiresAt: { lte: new Date() } },
  });
  await prisma.signInChallenge.create({
    data: {
      tokenHash: hashToken(token),
      userId,
      redirectTo:
        redirectTo.length <= REDIRECT_MAX_LENGTH ? redirectTo : "/items",
      expiresAt: new Date(Date.now() + CHALLENGE_LIFETIME_MS),
    },
  });
  return challengeCookie.serialize(token);
}

async function readChallengeToken(request: Request): Promise<string | null> {
  const value: unknown = await challengeCookie.parse(
    request.headers.get("cookie"),
  );
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** Reason a challenge no longer accepts codes. */
export type ChallengeEndReason = "expired" | "attempts";

/**
 * Returns the request's challenge while it accepts codes, or the reason it
 * does not: "expired" for a missing, unknown or timed-out one, "attempts"
 * when all attempts are used. A challenge that ended is deleted.
 */
export async function findSignInChallenge(
  request: Request,
): Promise<SignInChallenge | ChallengeEndReason> {
  const token = await readChallengeToken(request);
  if (!token) return "expired";
  const row = await prisma.signInChallenge.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      userId: true,
      redirectTo: true,
      attempts: true,
      expiresAt: true,
    },
  });
  if (!row) return "expired";
  if (row.expiresAt.getTime() <= Date.now()) {
    await deleteSignInChallenge(row.id);
    return "expired";
  }
  if (row.attempts >= CHALLENGE_MAX_ATTEMPTS) {
    await deleteSignInChallenge(row.id);
    return "attempts";
  }
  return {
    id: row.id,
    userId: row.userId,
    redirectTo: row.redirectTo,
    attempts: row.attempts,
  };
}

/**
 * Counts one attempt against the challenge before its code is checked.
 * Returns the attempts used including this one, or null when the challenge
 * expired or has no attempt left. The conditional UPDATE lets parallel
 * requests take at most CHALLENGE_MAX_ATTEMPTS attempts in total.
 */
export async function claimChallengeAttempt(
  challengeId: string,
): Promise<number | null> {
  const rows = await prisma.$queryRaw<{ attempts: number }[]>`
    UPDATE "SignInChallenge" SET "attempts" = "attempts" + 1
    WHERE "id" = ${challengeId}
      AND "attempts" < ${CHALLENGE_MAX_ATTEMPTS}::integer
      AND "expiresAt" > ${new Date()}
    RETURNING "attempts"`;
  return rows[0]?.attempts ?? null;
}

/**
 * Deletes a challenge and returns whether this call deleted it. The one
 * request that passes the challenge and deletes it creates the session.
 */
export async function deleteSignInChallenge(
  challengeId: string,
): Promise<boolean> {
  const { count } = await prisma.signInChallenge.deleteMany({
    where: { id: challengeId },
  });
  return count === 1;
}

/** Returns the Set-Cookie header that clears the challenge cookie. */
export function clearChallengeCookie(): Promise<string> {
  return challengeCookie.serialize("", { maxAge: 0 });
}

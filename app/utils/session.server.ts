import { createHash, randomBytes } from "node:crypto";

import { createCookie } from "@remix-run/node";

import { prisma } from "./db.server";
import { getEnv } from "./env.server";
import type { RequestInfo } from "./request-context.server";
import { setRequestUserId } from "./request-store.server";
import { singleton } from "./singleton.server";

const TOKEN_BYTES = 32;
/** Minimum gap between two writes of Session.lastUsedAt, in milliseconds. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/**
 * Session cookie that carries only a random token, signed with
 * SESSION_SECRET (first secret signs, all verify). With COOKIE_SECURE the
 * name takes the __Host- prefix, so browsers accept it only over HTTPS,
 * without a Domain attribute and for path /.
 */
export const sessionCookie = singleton("sessionCookie", () => {
  const env = getEnv();
  return createCookie(
    env.COOKIE_SECURE ? "__Host-dokodo_session" : "dokodo_session",
    {
      httpOnly: true,
      sameSite: "lax",
      secure: env.COOKIE_SECURE,
      path: "/",
      secrets: env.SESSION_SECRET ?? [],
      maxAge: env.SESSION_MAX_AGE_DAYS * 24 * 60 * 60,
    },
  );
});

/** Returns the SHA-256 hex digest under which a token is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The signed-in user and session row behind a request. */
export type SessionData = {
  sessionId: string;
  userId: string;
  createdAt: Date;
};

async function readSessionToken(request: Request): Promise<string | null> {
  const value: unknown = await sessionCookie.parse(
    request.headers.get("cookie"),
  );
  return typeof value === "string" && value.length > 0 ? value : null;
}

/**
 * Creates a session row for a freshly signed-in user and returns the
 * Set-Cookie header carrying a new token. A token is never reused, which
 * rules out session fixation.
 */
export async function createSession(
  userId: string,
  info: RequestInfo,
): Promise<string> {
  const env = getEnv();
  const token = randomBytes(TOKEN_BYTES).toString("base64url");
  const now = Date.now();
  await prisma.session.create({
    data: {
      tokenHash: hashToken(token),
      userId,
      userAgent: info.userAgent,
      ipAddress: info.ipAddress,
      lastUsedAt: new Date(now),
      expiresAt: new Date(now + env.SESSION_MAX_AGE_DAYS * 86_400_000),
    },
  });
  return sessionCookie.serialize(token);
}

/**
 * Returns the live session of a request, or null when the cookie is missing,
 * forged, revoked, or past its idle or absolute expiry. An expired row is
 * deleted on sight.
 */
export async function getSession(
  request: Request,
): Promise<SessionData | null> {
  const token = await readSessionToken(request);
  if (!token) return null;

  const session = await prisma.session.findUnique({
    where: { tokenHash: hashToken(token) },
    select: {
      id: true,
      userId: true,
      createdAt: true,
      lastUsedAt: true,
      expiresAt: true,
    },
  });
  if (!session) return null;

  const now = Date.now();
  const idleLimit = getEnv().SESSION_IDLE_TIMEOUT_HOURS * 3_600_000;
  if (
    session.expiresAt.getTime() <= now ||
    session.lastUsedAt.getTime() + idleLimit <= now
  ) {
    await prisma.session.deleteMany({ where: { id: session.id } });
    return null;
  }

  if (now - session.lastUsedAt.getTime() >= LAST_USED_WRITE_INTERVAL_MS) {
    // The lastUsedAt condition in the WHERE clause lets only the first of
    // several concurrent requests write within the interval.
    await prisma.session.updateMany({
      where: {
        id: session.id,
        lastUsedAt: { lt: new Date(now - LAST_USED_WRITE_INTERVAL_MS) },
      },
      data: { lastUsedAt: new Date(now) },
    });
  }
  setRequestUserId(session.userId);
  return {
    sessionId: session.id,
    userId: session.userId,
    createdAt: session.createdAt,
  };
}

/**
 * Deletes the request's session row, if any, and returns the Set-Cookie
 * header that clears the cookie.
 */
export async function destroySession(request: Request): Promise<string> {
  const token = await readSessionToken(request);
  if (token) {
    await prisma.session.deleteMany({ where: { tokenHash: hashToken(token) } });
  }
  return sessionCookie.serialize("", { maxAge: 0 });
}

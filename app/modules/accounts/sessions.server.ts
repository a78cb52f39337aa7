import { isIPv4, isIPv6 } from "node:net";

import { redirect } from "@remix-run/node";
import { UAParser } from "ua-parser-js";

import { recordAuditEvent } from "~/utils/audit.server";
import { prisma } from "~/utils/db.server";
import { getEnv } from "~/utils/env.server";
import type { RequestInfo } from "~/utils/request-context.server";
import type { SessionData } from "~/utils/session.server";
import { getSession } from "~/utils/session.server";

/**
 * Returns the request's live session. Throws the same redirect to /login
 * as requireUserId when no user is signed in.
 */
export async function requireSession(request: Request): Promise<SessionData> {
  const session = await getSession(request);
  if (session) return session;
  const url = new URL(request.url);
  const searchParams = new URLSearchParams({
    redirectTo: `${url.pathname}${url.search}`,
  });
  throw redirect(`/login?${searchParams}`);
}

/** A session as the sessions page shows it. */
export type SessionSummary = {
  id: string;
  current: boolean;
  browser: string;
  os: string;
  deviceType: string;
  /** The address with its host part hidden, such as "203.0.113.x". */
  ipHint: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** The earlier of the absolute and the idle expiry. */
  expiresAt: Date;
};

const DEVICE_TYPE_NAMES: Record<string, string> = {
  mobile: "Phone",
  tablet: "Tablet",
  smarttv: "TV",
  console: "Game console",
  wearable: "Wearable",
  xr: "Headset",
  embedded: "Embedded device",
};

/** Returns browser, OS and device type names parsed from a user agent. */
export function describeUserAgent(userAgent: string | null): {
  browser: string;
  os: string;
  deviceType: string;
} {
  if (!userAgent) {
    return {
      browser: "Unknown browser",
      os: "Unknown system",
      deviceType: "Unknown device",
    };
  }
  const result = UAParser(userAgent);
  const browser = [result.browser.name, result.browser.major]
    .filter(Boolean)
    .join(" ");
  const os = [result.os.name, result.os.version].filter(Boolean).join(" ");
  // ua-parser-js leaves the type empty for desktop browsers.
  const deviceType = result.device.type
    ? (DEVICE_TYPE_NAMES[result.device.type] ?? result.device.type)
    : "Computer";
  return {
    browser: browser || "Unknown browser",
    os: os || "Unknown system",
    deviceType,
  };
}

/**
 * Returns an address with its host part hidden: the last IPv4 octet, or all
 * but the first three groups (the /48 site prefix) of an IPv6 address.
 */
export function maskIpAddress(address: string | null): string {
  if (!address) return "Unknown";
  if (isIPv4(address)) {
    return address.replace(/\.\d+$/, ".x");
  }
  if (isIPv6(address)) {
    const [head = ""] = address.split("::");
    const groups = head.split(":").filter(Boolean).slice(0, 3);
    while (groups.length < 3) groups.push("0");
    return `${groups.join(":")}:…`;
  }
  return "Unknown";
}

/**
 * Lists the user's live sessions, most recently used first, marking the one
 * the request uses. Sessions past either expiry are left out.
 */
export async function listSessions(
  userId: string,
  currentSessionId: string,
): Promise<SessionSummary[]> {
  const now = Date.now();
  const idleMs = getEnv().SESSION_IDLE_TIMEOUT_HOURS * 3_600_000;
  const rows = await prisma.session.findMany({
    where: {
      userId,
      expiresAt: { gt: new Date(now) },
      lastUsedAt: { gt: new Date(now - idleMs) },
    },
    orderBy: { lastUsedAt: "desc" },
    select: {
      id: true,
      userAgent: true,
      ipAddress: true,
      createdAt: true,
      lastUsedAt: true,
      expiresAt: true,
    },
  });
  return rows.map((row) => ({
    id: row.id,
    current: row.id === currentSessionId,
    ...describeUserAgent(row.userAgent),
    ipHint: maskIpAddress(row.ipAddress),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: new Date(
      Math.min(row.expiresAt.getTime(), row.lastUsedAt.getTime() + idleMs),
    ),
  }));
}

/**
 * Deletes one of the user's sessions. Returns false, deleting nothing, when
 * the ID is unknown or belongs to another user.
 */
export async function revokeSession(
  userId: string,
  sessionId: string,
  info: RequestInfo,
): Promise<boolean> {
  const { count } = await prisma.session.deleteMany({
    where: { id: sessionId, userId },
  });
  if (count === 0) return false;
  await recordAuditEvent(
    {
      action: "SESSION_REVOKED",
      actorId: userId,
      targetType: "Session",
      targetId: sessionId,
      newValues: { count },
    },
    info,
  );
  return true;
}

/** Deletes every session of the user except the current one; returns how many. */
export async function revokeOtherSessions(
  userId: string,
  currentSessionId: string,
  info: RequestInfo,
): Promise<number> {
  const { count } = await prisma.session.deleteMany({
    where: { userId, id: { not: currentSessionId } },
  });
  await recordAuditEvent(
    {
      action: "SESSION_REVOKED",
      actorId: userId,
      targetType: "User",
      targetId: userId,
      newValues: { count, scope: "others" },
    },
    info,
  );
  return count;
}

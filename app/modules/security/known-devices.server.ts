// New-device sign-in notices. Every successful sign-in stores a digest of
// its browser and network in KnownDevice. A sign-in from a pair that the
// account has not used for 90 days queues an email to the account.
import { createHash } from "node:crypto";
import { isIPv4 } from "node:net";

import { UAParser } from "ua-parser-js";

import { describeUserAgent } from "~/modules/accounts/sessions.server";
import { enqueueEmail, wakeEmailWorker } from "~/modules/email/outbox.server";
import { newDeviceSignInEmail } from "~/modules/email/templates.server";
import { runInBackground } from "~/utils/background.server";
import { prisma } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import type { RequestInfo } from "~/utils/request-context.server";

import { expandIPv6 } from "./keys.server";

/** How long a browser and network stay known after their last sign-in. */
export const KNOWN_DEVICE_RETENTION_MS = 90 * 24 * 60 * 60_000;

/** Groups of an IPv6 address in its /48 prefix. */
const IPV6_PREFIX_GROUPS = 3;

/**
 * Returns the network an address belongs to: its /24 for IPv4, its /48 for
 * IPv6, or the text itself when it is neither (such as "unknown"). A home
 * or office connection usually keeps its prefix when the address changes.
 */
export function networkPrefix(address: string): string {
  if (isIPv4(address)) {
    return `${address.split(".").slice(0, 3).join(".")}.0/24`;
  }
  const groups = expandIPv6(address.split("%")[0]!);
  if (!groups) return address;
  const prefix = groups.slice(0, IPV6_PREFIX_GROUPS);
  return `${prefix.map((group) => group.toString(16)).join(":")}::/48`;
}

/**
 * Returns the SHA-256 hex digest of the browser name, OS name and network
 * prefix. Versions are left out, so a browser update keeps a device known.
 * The inputs can be enumerated, so the digest only keeps them out of sight.
 */
export function deviceHash(info: RequestInfo): string {
  const parsed = info.userAgent ? UAParser(info.userAgent) : null;
  const parts = [
    parsed?.browser.name ?? "",
    parsed?.os.name ?? "",
    networkPrefix(info.ipAddress),
  ];
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

/**
 * Returns the part of an address that a notice email shows: the first two
 * IPv4 octets, such as "203.0.x.x", or the first two IPv6 groups.
 */
export function emailIpHint(address: string): string {
  if (isIPv4(address)) {
    return `${address.split(".").slice(0, 2).join(".")}.x.x`;
  }
  const groups = expandIPv6(address.split("%")[0]!);
  if (!groups) return "unknown";
  return `${groups
    .slice(0, 2)
    .map((group) => group.toString(16))
    .join(":")}:…`;
}

/**
 * Records the browser and network of a successful sign-in and deletes the
 * account's rows unseen for 90 days. Queues the new-device notice in the
 * same transaction when the pair was not seen within 90 days and the
 * account had a row before. An account without rows gets no notice, because
 * its first recorded sign-in has nothing to compare with. Returns whether a
 * notice was queued.
 *
 * NOTE: accounts created before this table existed have no rows either, so
 * their first sign-in after the upgrade sends no notice.
 */
export async function recordSignInDevice(
  userId: string,
  info: RequestInfo,
  now: Date = new Date(),
): Promise<boolean> {
  const hash = deviceHash(info);
  const cutoff = new Date(now.getTime() - KNOWN_DEVICE_RETENTION_MS);

  return prisma.$transaction(async (tx) => {
    // Locking the user row serializes the sign-ins of one account, so two
    // parallel sign-ins from one new device queue one notice. NO KEY UPDATE
    // does not block the inserts of rows that reference the user.
    const users = await tx.$queryRaw<{ email: string; name: string }[]>`
      SELECT "email", "name" FROM "User" WHERE "id" = ${userId}
      FOR NO KEY UPDATE`;
    const user = users[0];
    if (!user) return false;

    const devices = await tx.knownDevice.findMany({
      where: { userId },
      select: { deviceHash: true, lastSeenAt: true },
    });
    const seen = devices.some(
      (device) => device.deviceHash === hash && device.lastSeenAt > cutoff,
    );

    await tx.knownDevice.upsert({
      where: { userId_deviceHash: { userId, deviceHash: hash } },
      create: { userId, deviceHash: hash, lastSeenAt: now },
      update: { lastSeenAt: now },
    });
    // The row just written is newer than the cutoff, so the account keeps
    // at least one row and its next sign-in is not taken for its first.
    await tx.knownDevice.deleteMany({
      where: { userId, lastSeenAt: { lte: cutoff } },
    });

    if (seen || devices.length === 0) return false;
    const { browser, os } = describeUserAgent(info.userAgent);
    await enqueueEmail(
      tx,
      newDeviceSignInEmail({
        to: user.email,
        name: user.name,
        signedInAt: now,
        browser,
        os,
        ipHint: emailIpHint(info.ipAddress),
      }),
    );
    return true;
  });
}

/**
 * Starts recordSignInDevice for a successful sign-in without waiting for it.
 * An error is logged and never fails the sign-in.
 */
export function checkSignInDevice(userId: string, info: RequestInfo): void {
  runInBackground("sign-in-device-check", async () => {
    try {
      if (await recordSignInDevice(userId, info)) wakeEmailWorker();
    } catch (error) {
      logger.error(
        {
          event: "sign_in_device.check_failed",
          userId,
          requestId: info.requestId,
          err: error,
        },
        "new-device check of a sign-in failed; no notice was queued",
      );
    }
  });
}

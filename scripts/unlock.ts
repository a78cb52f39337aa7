// npm run unlock -- <email>: clears the failed sign-ins and any lock of one
// email, through the same unlockAccount() the admin area calls, and prints
// what it changed. npm run unlock -- <IP address> does the same for the
// sign-in block of a client address, through unlockAddress(). It reads the
// configuration as the server does: with DATABASE_URL unset it uses the
// embedded database, joining a running `npm start` or starting the server
// for the duration of the command.
import { randomUUID } from "node:crypto";
import { isIP, isIPv6 } from "node:net";

import { ConfigError, initEnv } from "../app/utils/env.server";
import type { EmbeddedDatabase } from "../server/database";
import {
  findRunningEmbeddedPostgres,
  startEmbeddedPostgres,
} from "../server/database";
import { StartupError } from "../server/startup-error";

const USAGE = `Usage: npm run unlock -- <email>
       npm run unlock -- <IP address>

With an email: clears the failed sign-ins recorded for it and lifts its
sign-in lock. With an IPv4 or IPv6 address, or an IPv6 /64 prefix as the
logs show it (2001:db8:1:2::/64): lifts the sign-in block of that client
address and clears the emails it failed on. An IPv6 address stands for its
/64 prefix. Reads DATABASE_URL, or the embedded database settings, like
npm start.`;

/** Reports whether `value` is an IP address or an IPv6 /64 prefix. */
function isAddress(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const prefix = /^(.+)\/64$/.exec(value);
  return prefix !== null && isIPv6(prefix[1]!);
}

/** Exit status for a wrong command line, as with most Unix tools. */
const EXIT_USAGE = 2;

async function run(target: string): Promise<void> {
  // Only problems reach the terminal unless LOG_LEVEL sets a lower level.
  const env = initEnv({ LOG_LEVEL: "warn", ...process.env });

  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    const running = await findRunningEmbeddedPostgres({
      dataDir: env.EMBEDDED_POSTGRES_DIR,
      port: env.EMBEDDED_POSTGRES_PORT,
    });
    if (running) {
      env.DATABASE_URL = running;
    } else {
      embedded = await startEmbeddedPostgres({
        dataDir: env.EMBEDDED_POSTGRES_DIR,
        port: env.EMBEDDED_POSTGRES_PORT,
      });
      env.DATABASE_URL = embedded.url;
    }
  }

  const { prisma } = await import("../app/utils/db.server");
  try {
    if (isAddress(target)) {
      await unlockAddressAndReport(target);
    } else {
      await unlockAccountAndReport(target);
    }
  } finally {
    await prisma.$disconnect();
    if (embedded) await embedded.stop();
  }
}

/** Returns the audit actor and request details of a change made from the command line. */
function commandLineActor() {
  return {
    actorId: null,
    info: {
      requestId: randomUUID(),
      ipAddress: "command line",
      userAgent: "npm run unlock",
    },
  };
}

async function unlockAccountAndReport(email: string): Promise<void> {
  const { unlockAccount } =
    await import("../app/modules/security/lockout.server");
  const result = await unlockAccount(email, commandLineActor());
  const account = result.userId
    ? `account ${result.userId}`
    : "no account uses this email";
  const counts =
    `${result.consecutiveFailures} consecutive, ` +
    `${result.hourFailures} in the current hour`;
  if (result.wasLocked) {
    console.log(
      `Unlocked ${email} (${account}): lifted the lock that ran until ` +
        `${result.lockedUntil?.toISOString()} and cleared the failed ` +
        `sign-ins (${counts}).`,
    );
  } else if (result.found) {
    console.log(
      `${email} (${account}) was not locked; cleared the failed ` +
        `sign-ins (${counts}).`,
    );
  } else {
    console.log(
      `${email} (${account}) has no failed sign-ins on record; nothing changed.`,
    );
  }
}

async function unlockAddressAndReport(address: string): Promise<void> {
  const { unlockAddress } =
    await import("../app/modules/security/lockout.server");
  const result = await unlockAddress(address, commandLineActor());
  const key = result.addressKey;
  const failed = `${result.failedEmails} email${result.failedEmails === 1 ? "" : "s"} failed on in the current window`;
  if (result.wasBlocked) {
    console.log(
      `Unblocked ${key}: lifted the sign-in block that ran until ` +
        `${result.blockedUntil?.toISOString()} and cleared its failed ` +
        `sign-ins (${failed}).`,
    );
  } else if (result.found) {
    console.log(
      `${key} was not blocked; cleared its failed sign-ins (${failed}).`,
    );
  } else {
    console.log(`${key} has no failed sign-ins on record; nothing changed.`);
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    console.log(USAGE);
    return 0;
  }
  const target = args[0]?.trim() ?? "";
  if (args.length !== 1 || target === "") {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  if (!target.includes("@") && !isAddress(target)) {
    console.error(
      `"${target}" is neither an email address nor an IP address.\n\n${USAGE}`,
    );
    return EXIT_USAGE;
  }
  try {
    await run(target);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
    } else if (error instanceof StartupError) {
      console.error(`Unlocking ${target} failed: ${error.message}`);
    } else {
      console.error(`Unlocking ${target} failed:`, error);
    }
    return 1;
  }
}

// An explicit exit: embedded-postgres installs an exit hook that would
// otherwise end the process with status 0.
process.exit(await main());

// npm run unlock -- <email>: clears the failed sign-ins and any lock of one
// email, through the same unlockAccount() the admin area calls, and prints
// what it changed. It reads the configuration as the server does: with
// DATABASE_URL unset it uses the embedded database, joining a running
// `npm start` or starting the server for the duration of the command.
import { randomUUID } from "node:crypto";

import { ConfigError, initEnv } from "../app/utils/env.server";
import type { EmbeddedDatabase } from "../server/database";
import {
  findRunningEmbeddedPostgres,
  startEmbeddedPostgres,
} from "../server/database";

const USAGE = `Usage: npm run unlock -- <email>

Clears the failed sign-ins recorded for <email> and lifts its sign-in lock.
Reads DATABASE_URL, or the embedded database settings, like npm start.`;

/** Exit status for a wrong command line, as with most Unix tools. */
const EXIT_USAGE = 2;

async function run(email: string): Promise<void> {
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
  const { unlockAccount } =
    await import("../app/modules/security/lockout.server");
  try {
    const result = await unlockAccount(email, {
      actorId: null,
      info: {
        requestId: randomUUID(),
        ipAddress: "command line",
        userAgent: "npm run unlock",
      },
    });
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
  } finally {
    await prisma.$disconnect();
    if (embedded) await embedded.stop();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    console.log(USAGE);
    return 0;
  }
  const email = args[0]?.trim() ?? "";
  if (args.length !== 1 || email === "") {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  try {
    await run(email);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
    } else {
      console.error(`Unlocking ${email} failed:`, error);
    }
    return 1;
  }
}

// An explicit exit: embedded-postgres installs an exit hook that would
// otherwise end the process with status 0.
process.exit(await main());

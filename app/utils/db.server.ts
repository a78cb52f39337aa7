import { PrismaPg } from "@prisma/adapter-pg";

import { PrismaClient } from "../generated/prisma/client";
import { getEnv } from "./env.server";
import { lazySingleton } from "./singleton.server";

export type { Prisma } from "../generated/prisma/client";

/**
 * The process-wide Prisma client. It connects lazily, on the first query, to
 * the DATABASE_URL in effect after start-up (the embedded database's URL when
 * none was configured).
 */
export const prisma = lazySingleton("prisma", () => {
  const connectionString = getEnv().DATABASE_URL;
  if (!connectionString) {
    throw new Error(
      "DATABASE_URL was not resolved before the database was used.",
    );
  }
  return new PrismaClient({
    adapter: new PrismaPg({
      connectionString,
      max: 10,
      // Generous, because concurrent bcrypt work can starve the event loop
      // long enough to stall a connection handshake on a busy machine.
      connectionTimeoutMillis: 15_000,
    }),
  });
});

import { PrismaPg } from "@prisma/adapter-pg";

import { PrismaClient } from "../generated/prisma/client";
import { getEnv } from "./env.server";
import { lazySingleton } from "./singleton.server";
import { httpError } from "./http-error.server";

export type { Prisma } from "../generated/prisma/client";

/** The message of the 400 response for text that contains a NUL character. */
export const NUL_CHARACTER_MESSAGE =
  "A field contains a NUL character (U+0000), which cannot be stored. Remove it and submit the form again.";

/** Reports whether any string inside `value` contains U+0000. */
function containsNulCharacter(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 8 || value === null || typeof value !== "object") return false;
  if (value instanceof Date || ArrayBuffer.isView(value)) return false;
  return Object.values(value).some((item) =>
    containsNulCharacter(item, depth + 1),
  );
}

/**
 * Process-wide Prisma client. It connects lazily, on the first query, to
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
  const client = new PrismaClient({
    adapter: new PrismaPg({
      connectionString,
      max: 10,
      // Generous, because concurrent bcrypt work can starve the event loop
      // long enough to stall a connection handshake on a busy machine.
      connectionTimeoutMillis: 15_000,
    }),
  });
  // PostgreSQL text cannot hold U+0000 and fails the whole statement, so a
  // NUL anywhere in user input would surface as a 500. Rejecting it before
  // the query turns that into a 400 and, inside a transaction, rolls back.
  return client.$extends({
    query: {
      $allOperations({ args, query }) {
        if (containsNulCharacter(args)) {
          throw httpError(400, NUL_CHARACTER_MESSAGE);
        }
        return query(args);
      },
    },
  }) as unknown as PrismaClient;
});

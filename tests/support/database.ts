import { randomBytes } from "node:crypto";

import pg from "pg";
import { inject } from "vitest";

import { TEMPLATE_DATABASE } from "./global-setup";

function withDatabase(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

/** Runs `sql` on the server's maintenance database. */
async function runAdminQuery(sql: string): Promise<void> {
  const client = new pg.Client({
    connectionString: withDatabase(inject("templateDatabaseUrl"), "postgres"),
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database for one test file: a migrated copy of the template,
 * or an empty one when `migrated` is false. Returns its URL.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<string> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  const template = options.migrated === false ? "template0" : TEMPLATE_DATABASE;
  await runAdminQuery(
    `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`,
  );
  return withDatabase(inject("templateDatabaseUrl"), name);
}

/**
 * Runs `action` while `table` of the test server's database is renamed, so
 * each query on it fails as on a broken database, then renames it back.
 * Call only after the test server started: the client reads its URL.
 */
export async function withTableMissing<T>(
  table: string,
  action: () => Promise<T>,
): Promise<T> {
  const { prisma } = await import("~/utils/db.server");
  const hidden = `${table}_missing`;
  await prisma.$executeRawUnsafe(
    `ALTER TABLE ${pg.escapeIdentifier(table)} RENAME TO ${pg.escapeIdentifier(hidden)}`,
  );
  try {
    return await action();
  } finally {
    await prisma.$executeRawUnsafe(
      `ALTER TABLE ${pg.escapeIdentifier(hidden)} RENAME TO ${pg.escapeIdentifier(table)}`,
    );
  }
}

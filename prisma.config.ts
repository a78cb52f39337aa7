// Prisma CLI configuration. The CLI runs on its bundled WebAssembly schema
// engine through the `pg` driver adapter, because this project never
// downloads native Prisma engines (see docs/decisions/001-prisma-engine-free.md).
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

// Catalog types the adapter cannot deserialize ("Column type 'name' could not
// be deserialized" during `migrate deploy`): name, char, regproc, regclass,
// regconfig and the name[]/int2vector arrays. Their text form is what the
// schema engine expects, so the result is relabelled as text (OID 25).
const CATALOG_TYPE_IDS = new Set([18, 19, 24, 194, 2205, 1002, 1003]);
const TEXT_TYPE_ID = 25;
const TEXT_ARRAY_TYPE_ID = 1009;

function relabelCatalogColumns(result: pg.QueryResult): pg.QueryResult {
  for (const field of result.fields ?? []) {
    if (CATALOG_TYPE_IDS.has(field.dataTypeID)) {
      field.dataTypeID =
        field.dataTypeID === 1002 || field.dataTypeID === 1003
          ? TEXT_ARRAY_TYPE_ID
          : TEXT_TYPE_ID;
    }
  }
  return result;
}

/**
 * Creates a pool whose query results never carry catalog column types. The
 * adapter requests text values of unknown types, so only the label moves.
 * pg's Pool.query calls Client.query with a callback, so both the callback
 * and the promise form are wrapped.
 */
function createPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback === "function") {
        args[args.length - 1] = (error: Error | null, result: pg.QueryResult) =>
          callback(error, error ? result : relabelCatalogColumns(result));
        return query(...args);
      }
      return (query(...args) as Promise<pg.QueryResult>).then(
        relabelCatalogColumns,
      );
    }) as typeof client.query;
  });
  return pool;
}

/**
 * Adapter factory whose shadow database (for `migrate dev`) is dropped only
 * after its own pool has closed; the stock factory drops it while a pooled
 * connection still uses it, and PostgreSQL rejects the drop.
 */
class MigrationAdapterFactory extends PrismaPg {
  constructor(private readonly connectionString: string) {
    super(createPool(connectionString));
  }

  override async connectToShadowDb() {
    const name = `prisma_shadow_${crypto.randomUUID().replaceAll("-", "")}`;
    const admin = new pg.Client({ connectionString: this.connectionString });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();

    const url = new URL(this.connectionString);
    url.pathname = `/${name}`;
    const shadow = await new PrismaPg(createPool(url.toString()), {
      disposeExternalPool: true,
    }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      const cleanup = new pg.Client({
        connectionString: this.connectionString,
      });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}"`);
      await cleanup.end();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) {
      throw new Error(
        "DATABASE_URL is not set. Set it to a postgresql:// URL before running the Prisma CLI.",
      );
    }
    return new MigrationAdapterFactory(url);
  },
});

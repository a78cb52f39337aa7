// Start-up failures that operators can fix: each message names the problem
// and the fix in one line, so server/main.ts prints it without a stack trace.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** A start-up failure whose message names the problem and the fix. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}

/** Explains an 'error' event of the HTTP server's listen(). */
export function describeListenError(
  error: NodeJS.ErrnoException,
  host: string,
  port: number,
): StartupError {
  const address = `${host}:${port}`;
  switch (error.code) {
    case "EADDRINUSE":
      return new StartupError(
        `Port ${port} on ${host} is already in use by another program; stop that program or set PORT to a free port.`,
        { cause: error },
      );
    case "EACCES":
      return new StartupError(
        `Permission denied to listen on ${address}; ports below 1024 need extra privileges, so set PORT to 1024 or higher.`,
        { cause: error },
      );
    case "EADDRNOTAVAIL":
      return new StartupError(
        `HOST ${host} is not an address of this machine; set HOST to one of its addresses, or to 0.0.0.0 for all of them.`,
        { cause: error },
      );
    default:
      return new StartupError(
        `Listening on ${address} failed: ${error.message}`,
        { cause: error },
      );
  }
}

/** Returns host:port of a PostgreSQL URL, leaving out user and password. */
export function databaseAddress(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || "5432"}`;
}

/** TLS error codes of Node.js for a server certificate that failed verification. */
const CERTIFICATE_ERROR_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Explains why connecting to DATABASE_URL failed, naming the server by
 * host:port only, because the URL may contain the password.
 */
export function describeDatabaseConnectError(
  error: unknown,
  databaseUrl: string,
): StartupError {
  const address = databaseAddress(databaseUrl);
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  const path = (error as { path?: unknown } | null)?.path;
  if ((code === "ENOENT" || code === "EACCES") && typeof path === "string") {
    return new StartupError(
      `Cannot read ${path}, which DATABASE_URL names in sslrootcert, sslcert or sslkey (${code}); correct the path or the file's permissions.`,
      options,
    );
  }
  switch (code) {
    case "ECONNREFUSED":
    case "ECONNRESET":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return new StartupError(
        `Cannot reach the database server at ${address} (${code}); start PostgreSQL there or correct the host and port in DATABASE_URL.`,
        options,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartupError(
        `Cannot resolve the database host in DATABASE_URL (${address}, ${code}); correct the host name in DATABASE_URL.`,
        options,
      );
    case "28P01":
    case "28000":
      return new StartupError(
        `The database server at ${address} rejected the user or password in DATABASE_URL (PostgreSQL error ${code}); correct them in DATABASE_URL.`,
        options,
      );
    case "3D000":
      return new StartupError(
        `The database named in DATABASE_URL does not exist on ${address}; create it (CREATE DATABASE) or correct the name in DATABASE_URL.`,
        options,
      );
  }
  if (typeof code === "string" && CERTIFICATE_ERROR_CODES.has(code)) {
    return new StartupError(
      `The TLS certificate of the database server at ${address} failed verification (${code}: ${message}); node-postgres verifies it for sslmode=require too, so add sslrootcert=/path/to/ca.crt to DATABASE_URL for a private CA.`,
      options,
    );
  }
  if (message.includes("connection timeout")) {
    return new StartupError(
      `Connecting to the database server at ${address} timed out; check that PostgreSQL runs there and that a firewall lets this host through.`,
      options,
    );
  }
  if (message.includes("does not support SSL")) {
    return new StartupError(
      `The database server at ${address} does not accept TLS connections, which DATABASE_URL's sslmode requires; enable ssl on the server.`,
      options,
    );
  }
  return new StartupError(
    `Connecting to the database server at ${address} failed: ${message}`,
    options,
  );
}

/**
 * Explains why the embedded PostgreSQL server exited during start-up, from
 * the log lines it wrote. embedded-postgres (18.4.0-beta.17) rejects start()
 * with undefined and passes the server's stderr to onLog only, so the log is
 * the only source of the reason.
 */
export function describeEmbeddedStartFailure(
  log: string,
  dataDir: string,
  port: number,
): StartupError {
  const dataLock =
    /lock file "postmaster\.pid" already exists[\s\S]*?PID (\d+)/.exec(log);
  if (dataLock) {
    const pid = Number(dataLock[1]);
    const pidFile = path.join(dataDir, "postmaster.pid");
    if (isPostgresProcess(pid)) {
      return new StartupError(
        `The embedded database folder ${dataDir} is in use by PostgreSQL process ${pid}, which another Dokodo process (npm start or npm run unlock) started; stop that Dokodo process, or stop the left-over server with "kill -INT ${pid}" if no Dokodo process runs, or set EMBEDDED_POSTGRES_DIR to another folder.`,
      );
    }
    return new StartupError(
      `The embedded database folder ${dataDir} has a stale lock file naming process ${pid}, which is not PostgreSQL; delete ${pidFile} and start again.`,
    );
  }
  if (
    /could not bind IPv[46] address[^\n]*Address already in use/.test(log) ||
    /lock file "[^"]*\.s\.PGSQL\.\d+\.lock" already exists/.test(log)
  ) {
    return new StartupError(
      `The embedded database port ${port} is already in use by another program; set EMBEDDED_POSTGRES_PORT to a free port.`,
    );
  }
  const fatal = /(?:FATAL|PANIC):\s+(.*)/.exec(log);
  return new StartupError(
    `The embedded PostgreSQL server in ${dataDir} exited during start-up: ${fatal?.[1]?.trim() ?? "it logged no reason; run with LOG_LEVEL=debug to see its output"}.`,
  );
}

/**
 * Reports whether process `pid` runs a PostgreSQL server binary. Reads
 * /proc, so on systems without it every process counts as PostgreSQL.
 */
function isPostgresProcess(pid: number): boolean {
  if (!existsSync("/proc/self/cmdline")) return true;
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== "ENOENT" && code !== "ESRCH";
  }
  const executable = commandLine.split("\0")[0] ?? "";
  return executable.startsWith("postgres") || executable.endsWith("/postgres");
}

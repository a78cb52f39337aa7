import { Writable } from "node:stream";

import pino from "pino";

import { REDACTED_PATHS } from "~/utils/logger.server";
import { requestStorage } from "~/utils/request-store.server";
import { singleton } from "~/utils/singleton.server";

/**
 * Installs the process-wide logger as a trace-level pino logger that keeps
 * its lines in memory, and returns that list. Call it before the test
 * server starts, because the first caller creates the logger singleton.
 * With `requestIds`, each line carries the request ID of the request
 * context it was written in, as app/utils/logger.server.ts adds it.
 */
export function captureLogs(options: { requestIds?: boolean } = {}): string[] {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString("utf8"));
      callback();
    },
  });
  singleton("logger", () =>
    pino(
      {
        level: "trace",
        redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
        mixin: options.requestIds ? requestIdOfContext : undefined,
      },
      stream,
    ),
  );
  return lines;
}

function requestIdOfContext(): { requestId?: string } {
  const store = requestStorage.getStore();
  return store ? { requestId: store.requestId } : {};
}

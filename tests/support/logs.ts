import { Writable } from "node:stream";

import pino from "pino";

import { REDACTED_PATHS } from "~/utils/logger.server";
import { singleton } from "~/utils/singleton.server";

/**
 * Installs the process-wide logger as a trace-level pino logger that keeps
 * its lines in memory, and returns that list. Call it before the test
 * server starts, because the first caller creates the logger singleton.
 */
export function captureLogs(): string[] {
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
      },
      stream,
    ),
  );
  return lines;
}

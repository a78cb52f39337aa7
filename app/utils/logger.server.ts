import pino from "pino";

import { getEnv } from "./env.server";
import { requestStorage } from "./request-store.server";
import { lazySingleton } from "./singleton.server";

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log object.
 * Values under these keys must never reach a log line.
 */
export const REDACTED_PATHS = [
  "password",
  "newPassword",
  "currentPassword",
  "token",
  "code",
  "csrf",
  "cookie",
  "*.password",
  "*.newPassword",
  "*.currentPassword",
  "*.token",
  "*.code",
  "*.csrf",
  "*.cookie",
  "headers.cookie",
  "headers.authorization",
  "req.headers.cookie",
  "req.headers.authorization",
  'res.headers["set-cookie"]',
];

/** The process-wide JSON logger. */
export const logger = lazySingleton("logger", () =>
  pino({
    level: getEnv().LOG_LEVEL,
    base: { service: "dokodo" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line written while a request runs carries its request and user ID.
    mixin() {
      const store = requestStorage.getStore();
      if (!store) return {};
      return store.userId
        ? { requestId: store.requestId, userId: store.userId }
        : { requestId: store.requestId };
    },
  }),
);

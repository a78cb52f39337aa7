import { z } from "zod";

import { singleton } from "./singleton.server";

const SECRET_MIN_LENGTH = 64;
const SECRET_MIN_DISTINCT_CHARACTERS = 16;
const GENERATE_SECRET_HINT =
  "generate one with: node -e \"console.log(require('node:crypto').randomBytes(48).toString('base64'))\"";
const TLS_SSL_MODES = new Set(["require", "verify-ca", "verify-full"]);

const booleanString = z
  .enum(["true", "false", "1", "0"], {
    errorMap: () => ({ message: "must be true or false" }),
  })
  .transform((value) => value === "true" || value === "1");

function integerString(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, {
      message: `must be a whole number from ${min} to ${max}`,
    });
}

/**
 * Splits a comma-separated secret list. The first secret signs, every secret
 * verifies, so rotation means prepending a new one and later dropping the old.
 */
const secretList = z
  .string()
  .transform((value) => value.split(",").map((part) => part.trim()))
  .superRefine((secrets, context) => {
    secrets.forEach((secret, index) => {
      const label = secrets.length > 1 ? `secret ${index + 1}` : "the secret";
      if (secret.length < SECRET_MIN_LENGTH) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${label} has ${secret.length} characters but needs at least ${SECRET_MIN_LENGTH} (48 random bytes in base64); ${GENERATE_SECRET_HINT}`,
        });
      } else if (new Set(secret).size < SECRET_MIN_DISTINCT_CHARACTERS) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${label} repeats too few characters to be random; ${GENERATE_SECRET_HINT}`,
        });
      }
    });
    if (new Set(secrets).size !== secrets.length) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message:
          "the list contains the same secret twice; remove the duplicate",
      });
    }
  });

const TWO_FACTOR_KEY_BYTES = 32;
const GENERATE_KEY_HINT =
  "generate one with: node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64'))\"";

/**
 * Splits a comma-separated list of 32-byte keys in base64. The first key
 * encrypts and hashes new two-factor data, and every key decrypts and
 * verifies. Rotation therefore means prepending a new key and keeping the
 * old ones.
 */
const encryptionKeyList = z.string().transform((value, context): Buffer[] => {
  const entries = value.split(",").map((part) => part.trim());
  const keys = entries.map((entry, index) => {
    const label = entries.length > 1 ? `key ${index + 1}` : "the key";
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(entry)
      ? Buffer.from(entry, "base64")
      : null;
    if (!bytes || bytes.length !== TWO_FACTOR_KEY_BYTES) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${label} must be ${TWO_FACTOR_KEY_BYTES} random bytes in base64 (44 characters), but it ${bytes ? `decodes to ${bytes.length} bytes` : "is not base64"}; ${GENERATE_KEY_HINT}`,
      });
    }
    return bytes ?? Buffer.alloc(0);
  });
  if (new Set(entries).size !== entries.length) {
    context.addIssue({
      code: z.ZodIssueCode.custom,
      message: "the list contains the same key twice; remove the duplicate",
    });
  }
  return keys;
});

/**
 * Returns the origin of an http(s) URL that has no path, query, fragment or
 * credentials, or null for anything else.
 */
function parseHttpOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.pathname !== "/" || url.search || url.hash) return null;
  if (url.username || url.password) return null;
  return url.origin;
}

const ORIGIN_FORMAT =
  "an origin: scheme, host and optional port without a path, such as https://photos.example.com";

const httpOrigin = z.string().transform((value, context) => {
  const origin = parseHttpOrigin(value);
  if (!origin) {
    context.addIssue({
      code: z.ZodIssueCode.custom,
      message: `must be ${ORIGIN_FORMAT}`,
    });
    return z.NEVER;
  }
  return origin;
});

/**
 * The public origin of the site: an http:// or https:// URL without a
 * path. A value without "scheme://", such as localhost:4100, gets a
 * message about the scheme, because the URL parser reads "localhost:" as
 * the scheme and "4100" as the path.
 */
const appOrigin = z.string().superRefine((value, context) => {
  const fail = (message: string) =>
    context.addIssue({ code: z.ZodIssueCode.custom, message });
  const text = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    fail(
      `must start with http:// or https://; for "${text}" use http://${text} (or https:// behind TLS)`,
    );
    return;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail("must be an absolute URL such as https://dokodo.example.com");
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail(
      `must use http:// or https://, not ${url.protocol}//, such as https://dokodo.example.com`,
    );
  } else if (url.pathname !== "/") {
    fail(
      "must be an origin without a path, such as https://dokodo.example.com",
    );
  }
});

/** Splits a comma-separated origin list and ignores empty entries. */
const originList = z.string().transform((value, context) => {
  const origins: string[] = [];
  for (const entry of value.split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    if (entry === "*") {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message:
          "must list origins one by one; * is not allowed because API responses may carry credentials",
      });
      continue;
    }
    const origin = parseHttpOrigin(entry);
    if (origin) {
      origins.push(origin);
    } else {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        message: `"${entry}" is not ${ORIGIN_FORMAT}`,
      });
    }
  }
  return origins;
});

const smtpUrl = z
  .string()
  .url("must be a URL such as smtps://user:password@smtp.example.com:465")
  .refine((value) => /^smtps?:$/.test(new URL(value).protocol), {
    message: "must start with smtp:// or smtps://",
  });

/** A sender such as "Dokodo <no-reply@example.com>" or a bare address. */
const emailFrom = z
  .string()
  .trim()
  .regex(
    /^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/,
    'must be an address such as "Dokodo <no-reply@example.com>" or no-reply@example.com',
  );

/** Returns the schema of a request or failure count, 1 to one million. */
function countSetting(fallback: string) {
  return integerString(1, 1_000_000).default(fallback);
}

/** Returns the schema of a duration in whole seconds, 1 to 86400 (a day). */
function secondsSetting(fallback: string) {
  return integerString(1, 86_400).default(fallback);
}

/**
 * Request throttle policies and sign-in lockout. Each limit counts requests,
 * or failures, per window. The policy table that uses them is in
 * app/modules/security/throttle-policies.server.ts.
 */
const throttleSettings = {
  THROTTLE_GLOBAL_LIMIT: countSetting("300"),
  THROTTLE_GLOBAL_WINDOW_SECONDS: secondsSetting("60"),
  THROTTLE_AUTH_LIMIT: countSetting("10"),
  THROTTLE_AUTH_WINDOW_SECONDS: secondsSetting("60"),
  THROTTLE_PASSWORD_RESET_LIMIT: countSetting("5"),
  THROTTLE_PASSWORD_RESET_WINDOW_SECONDS: secondsSetting("900"),
  THROTTLE_VERIFICATION_RESEND_LIMIT: countSetting("3"),
  THROTTLE_VERIFICATION_RESEND_WINDOW_SECONDS: secondsSetting("60"),
  THROTTLE_CHECKOUT_LIMIT: countSetting("10"),
  THROTTLE_CHECKOUT_WINDOW_SECONDS: secondsSetting("60"),
  THROTTLE_IMPORT_UPLOAD_LIMIT: countSetting("10"),
  THROTTLE_IMPORT_UPLOAD_WINDOW_SECONDS: secondsSetting("600"),
  LOCKOUT_THRESHOLD: countSetting("5"),
  LOCKOUT_BASE_DELAY_SECONDS: secondsSetting("30"),
  LOCKOUT_MAX_DELAY_SECONDS: secondsSetting("900"),
  LOCKOUT_HOURLY_FAILURE_LIMIT: countSetting("100"),
  LOCKOUT_IP_ACCOUNT_LIMIT: countSetting("20"),
  LOCKOUT_IP_WINDOW_SECONDS: secondsSetting("900"),
};

/**
 * An ISO 4217 currency code listed in this runtime's Intl data, upper-cased.
 * The Intl data supplies the number of decimal places that amounts are
 * stored with.
 */
const currencyCode = z.string().transform((value, context) => {
  const code = value.trim().toUpperCase();
  if (
    !/^[A-Z]{3}$/.test(code) ||
    !Intl.supportedValuesOf("currency").includes(code)
  ) {
    context.addIssue({
      code: z.ZodIssueCode.custom,
      message: `"${value}" is not an ISO 4217 currency code; use a code such as USD, EUR or JPY`,
    });
    return z.NEVER;
  }
  return code;
});

const postgresUrl = z
  .string()
  .url("must be a URL such as postgresql://user:password@host:5432/dokodo")
  .refine((value) => /^postgres(ql)?:$/.test(new URL(value).protocol), {
    message: "must start with postgresql:// or postgres://",
  });

const envSchema = z
  .object({
    NODE_ENV: z
      .enum(["development", "production", "test"], {
        errorMap: () => ({
          message: "must be development, production or test",
        }),
      })
      .default("development"),
    HOST: z.string().min(1, "must not be empty").default("0.0.0.0"),
    PORT: integerString(0, 65535).default("3000"),
    APP_ORIGIN: appOrigin.optional(),
    DATABASE_URL: postgresUrl.optional(),
    EMBEDDED_POSTGRES_DIR: z.string().min(1).default(".data/postgres"),
    EMBEDDED_POSTGRES_PORT: integerString(1, 65535).default("5433"),
    SESSION_SECRET: secretList.optional(),
    TWO_FACTOR_ENCRYPTION_KEY: encryptionKeyList.optional(),
    SESSION_IDLE_TIMEOUT_HOURS: integerString(1, 24 * 90).default("168"),
    SESSION_MAX_AGE_DAYS: integerString(1, 365).default("30"),
    COOKIE_SECURE: booleanString.optional(),
    TRUST_PROXY: integerString(0, 10).default("0"),
    ...throttleSettings,
    PHOTO_STORAGE_ORIGIN: httpOrigin.optional(),
    CORS_ALLOWED_ORIGINS: originList.optional(),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        errorMap: () => ({
          message:
            "must be one of fatal, error, warn, info, debug, trace, silent",
        }),
      })
      .default("info"),
    PASSWORD_POLICY: z
      .enum(["default", "nist"], {
        errorMap: () => ({ message: "must be default or nist" }),
      })
      .default("default"),
    DEFAULT_CURRENCY: currencyCode.default("USD"),
    SMTP_URL: smtpUrl.optional(),
    EMAIL_FROM: emailFrom.optional(),
  })
  .superRefine((env, context) => {
    // The default APP_ORIGIN names PORT, and with port 0 (any free port) it
    // would name port 0, so the Origin check would reject every form. Test
    // servers listen on port 0 and set APP_ORIGIN once the port is known.
    if (env.PORT === 0 && !env.APP_ORIGIN && env.NODE_ENV !== "test") {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["PORT"],
        message:
          "0 (any free port) needs APP_ORIGIN, because the default origin http://localhost:$PORT would name port 0 and every form would be rejected; set a fixed PORT, or set APP_ORIGIN to the address clients use",
      });
    }
    if (env.NODE_ENV !== "production") return;
    const require = (path: string, message: string) =>
      context.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });

    if (!env.SESSION_SECRET) {
      require("SESSION_SECRET", `is required in production; ${GENERATE_SECRET_HINT}`);
    }
    if (!env.TWO_FACTOR_ENCRYPTION_KEY) {
      require("TWO_FACTOR_ENCRYPTION_KEY", `is required in production; ${GENERATE_KEY_HINT}`);
    }
    if (env.COOKIE_SECURE !== true) {
      require("COOKIE_SECURE", "must be true in production so cookies are only sent over HTTPS");
    }
    if (!env.APP_ORIGIN) {
      require("APP_ORIGIN", "is required in production; set the public https:// origin");
    } else if (new URL(env.APP_ORIGIN).protocol !== "https:") {
      require("APP_ORIGIN", "must use https:// in production");
    }
    if (
      env.PHOTO_STORAGE_ORIGIN &&
      !env.PHOTO_STORAGE_ORIGIN.startsWith("https://")
    ) {
      require("PHOTO_STORAGE_ORIGIN", "must use https:// in production");
    }
    const insecureCorsOrigins = (env.CORS_ALLOWED_ORIGINS ?? []).filter(
      (origin) => !origin.startsWith("https://"),
    );
    if (insecureCorsOrigins.length > 0) {
      require("CORS_ALLOWED_ORIGINS", `must use https:// origins in production; remove or change ${insecureCorsOrigins.join(", ")}`);
    }
    if (!env.DATABASE_URL) {
      require("DATABASE_URL", "is required in production; the embedded database is for development only");
    } else {
      const sslMode = new URL(env.DATABASE_URL).searchParams.get("sslmode");
      if (!sslMode || !TLS_SSL_MODES.has(sslMode)) {
        require("DATABASE_URL", "must require TLS in production; add ?sslmode=verify-full (node-postgres verifies the certificate and host name for require and verify-ca too, so a server whose certificate comes from a private CA also needs &sslrootcert=/path/to/ca.crt)");
      }
    }
    if (!env.SMTP_URL) {
      require("SMTP_URL", "is required in production; without it emails, reset links included, are only written to the log");
    }
  });

type ParsedEnv = z.output<typeof envSchema>;

/** The validated configuration, with defaults that depend on other values filled in. */
export type Env = Omit<
  ParsedEnv,
  "APP_ORIGIN" | "COOKIE_SECURE" | "CORS_ALLOWED_ORIGINS"
> & {
  /** The public origin, without a trailing slash. */
  APP_ORIGIN: string;
  COOKIE_SECURE: boolean;
  /** Origins that may call /api/v1 from a browser, empty by default. */
  CORS_ALLOWED_ORIGINS: string[];
};

/** Thrown when the environment is invalid; `problems` lists each one. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((problem) => `  - ${problem}`).join("\n") +
        "\nSee .env.example for every variable and its format.",
    );
    this.name = "ConfigError";
  }
}

/**
 * Parses and validates configuration from `source`.
 * Throws ConfigError listing every problem, never only the first.
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const input = Object.fromEntries(
    Object.keys(envSchema.innerType().shape).flatMap((key) => {
      const value = source[key];
      return value === undefined || value === "" ? [] : [[key, value]];
    }),
  );
  const result = envSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`,
      ),
    );
  }
  const env = result.data;
  return {
    ...env,
    APP_ORIGIN: env.APP_ORIGIN
      ? new URL(env.APP_ORIGIN).origin
      : `http://localhost:${env.PORT}`,
    COOKIE_SECURE: env.COOKIE_SECURE ?? env.NODE_ENV === "production",
    CORS_ALLOWED_ORIGINS: env.CORS_ALLOWED_ORIGINS ?? [],
  };
}

const state = singleton("env", () => ({ env: undefined as Env | undefined }));

/** Parses process.env once and keeps the result for getEnv(). */
export function initEnv(
  source: Record<string, string | undefined> = process.env,
): Env {
  state.env = parseEnv(source);
  return state.env;
}

/** Returns the configuration parsed at start-up. Throws if initEnv() has not run. */
export function getEnv(): Env {
  if (!state.env) {
    throw new Error("Configuration was read before initEnv() ran at start-up.");
  }
  return state.env;
}

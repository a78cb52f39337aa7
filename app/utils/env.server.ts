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
        message: "the list contains the same secret twice; remove the duplicate",
      });
    }
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
    APP_ORIGIN: z
      .string()
      .url("must be an absolute URL such as https://dokodo.example.com")
      .refine((value) => new URL(value).pathname === "/", {
        message: "must be an origin without a path, such as https://dokodo.example.com",
      })
      .optional(),
    DATABASE_URL: postgresUrl.optional(),
    EMBEDDED_POSTGRES_DIR: z.string().min(1).default(".data/postgres"),
    EMBEDDED_POSTGRES_PORT: integerString(1, 65535).default("5433"),
    SESSION_SECRET: secretList.optional(),
    SESSION_IDLE_TIMEOUT_HOURS: integerString(1, 24 * 90).default("168"),
    SESSION_MAX_AGE_DAYS: integerString(1, 365).default("30"),
    COOKIE_SECURE: booleanString.optional(),
    TRUST_PROXY: integerString(0, 10).default("0"),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        errorMap: () => ({
          message: "must be one of fatal, error, warn, info, debug, trace, silent",
        }),
      })
      .default("info"),
  })
  .superRefine((env, context) => {
    if (env.NODE_ENV !== "production") return;
    const require = (path: string, message: string) =>
      context.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });

    if (!env.SESSION_SECRET) {
      require(
        "SESSION_SECRET",
        `is required in production; ${GENERATE_SECRET_HINT}`,
      );
    }
    if (env.COOKIE_SECURE !== true) {
      require(
        "COOKIE_SECURE",
        "must be true in production so cookies are only sent over HTTPS",
      );
    }
    if (!env.APP_ORIGIN) {
      require(
        "APP_ORIGIN",
        "is required in production; set the public https:// origin",
      );
    } else if (new URL(env.APP_ORIGIN).protocol !== "https:") {
      require("APP_ORIGIN", "must use https:// in production");
    }
    if (!env.DATABASE_URL) {
      require(
        "DATABASE_URL",
        "is required in production; the embedded database is for development only",
      );
    } else {
      const sslMode = new URL(env.DATABASE_URL).searchParams.get("sslmode");
      if (!sslMode || !TLS_SSL_MODES.has(sslMode)) {
        require(
          "DATABASE_URL",
          "must require TLS in production; add ?sslmode=require (or verify-ca, verify-full)",
        );
      }
    }
  });

type ParsedEnv = z.output<typeof envSchema>;

/** The validated configuration, with defaults that depend on other values filled in. */
export type Env = Omit<ParsedEnv, "APP_ORIGIN" | "COOKIE_SECURE"> & {
  APP_ORIGIN: string;
  COOKIE_SECURE: boolean;
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
    APP_ORIGIN: env.APP_ORIGIN ?? `http://localhost:${env.PORT}`,
    COOKIE_SECURE: env.COOKIE_SECURE ?? env.NODE_ENV === "production",
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

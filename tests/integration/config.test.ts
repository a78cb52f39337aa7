import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { describe, expect, it } from "vitest";

import { ConfigError, parseEnv } from "~/utils/env.server";

import { generateEncryptionKey, generateSecret } from "../support/server";

const run = promisify(execFile);

const PRODUCTION = {
  NODE_ENV: "production",
  SESSION_SECRET: generateSecret(),
  TWO_FACTOR_ENCRYPTION_KEY: generateEncryptionKey(),
  COOKIE_SECURE: "true",
  APP_ORIGIN: "https://dokodo.example.com",
  DATABASE_URL:
    "postgresql://dokodo:secret@db.example.com:5432/dokodo?sslmode=require",
  SMTP_URL: "smtps://dokodo:secret@smtp.example.com:465",
};

function problemsOf(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("parseEnv", () => {
  it("accepts a complete production setup", () => {
    const env = parseEnv(PRODUCTION);
    expect(env.COOKIE_SECURE).toBe(true);
    expect(env.SESSION_SECRET).toEqual([PRODUCTION.SESSION_SECRET]);
    expect(env.PORT).toBe(3000);
  });

  it("defaults for development without variables", () => {
    const env = parseEnv({});
    expect(env.NODE_ENV).toBe("development");
    expect(env.APP_ORIGIN).toBe("http://localhost:3000");
    expect(env.COOKIE_SECURE).toBe(false);
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("lists every problem at once", () => {
    const problems = problemsOf({
      NODE_ENV: "production",
      PORT: "eighty",
      SESSION_SECRET: "x".repeat(20),
      COOKIE_SECURE: "yes",
      APP_ORIGIN: "http://dokodo.example.com",
      DATABASE_URL: "postgresql://dokodo@db.example.com/dokodo",
      LOG_LEVEL: "loud",
    });
    expect(problems).toEqual([
      "PORT: must be a whole number from 0 to 65535",
      expect.stringMatching(
        /^SESSION_SECRET: the secret has 20 characters but needs at least 64/,
      ),
      "COOKIE_SECURE: must be true or false",
      "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent",
    ]);
  });

  it("reports production rules once types are valid", () => {
    const problems = problemsOf({
      NODE_ENV: "production",
      COOKIE_SECURE: "false",
      APP_ORIGIN: "http://dokodo.example.com",
      DATABASE_URL: "postgresql://dokodo@db.example.com/dokodo?sslmode=prefer",
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^SESSION_SECRET: is required in production; generate one with/,
      ),
      expect.stringMatching(
        /^TWO_FACTOR_ENCRYPTION_KEY: is required in production; generate one with/,
      ),
      "COOKIE_SECURE: must be true in production so cookies are only sent over HTTPS",
      "APP_ORIGIN: must use https:// in production",
      "DATABASE_URL: must require TLS in production; add ?sslmode=verify-full (node-postgres verifies the certificate and host name for require and verify-ca too, so a server whose certificate comes from a private CA also needs &sslrootcert=/path/to/ca.crt)",
      "SMTP_URL: is required in production; without it emails, reset links included, are only written to the log",
    ]);
  });

  it.each([
    ["require", true],
    ["verify-ca", true],
    ["verify-full", true],
    ["prefer", false],
    ["disable", false],
  ])("treats sslmode=%s as TLS: %s", (mode, accepted) => {
    const problems = problemsOf({
      ...PRODUCTION,
      DATABASE_URL: `postgresql://dokodo@db.example.com/dokodo?sslmode=${mode}`,
    });
    expect(problems.length === 0).toBe(accepted);
  });

  it("accepts a rotation list of distinct secrets", () => {
    const first = generateSecret();
    const second = generateSecret();
    const env = parseEnv({
      ...PRODUCTION,
      SESSION_SECRET: `${first},${second}`,
    });
    expect(env.SESSION_SECRET).toEqual([first, second]);
  });

  it("rejects a duplicated secret in the list", () => {
    const secret = generateSecret();
    expect(
      problemsOf({ ...PRODUCTION, SESSION_SECRET: `${secret},${secret}` }),
    ).toEqual([
      "SESSION_SECRET: the list contains the same secret twice; remove the duplicate",
    ]);
  });

  it("rejects a long secret of few characters", () => {
    expect(
      problemsOf({ ...PRODUCTION, SESSION_SECRET: "ab".repeat(40) }),
    ).toEqual([
      expect.stringMatching(
        /^SESSION_SECRET: the secret repeats too few characters/,
      ),
    ]);
  });

  it("names the bad secret in a rotation list", () => {
    const problems = problemsOf({
      ...PRODUCTION,
      SESSION_SECRET: `${generateSecret()},short`,
    });
    expect(problems).toEqual([
      expect.stringMatching(/^SESSION_SECRET: secret 2 has 5 characters/),
    ]);
  });
});

describe("APP_ORIGIN", () => {
  it.each([
    [
      "ftp://dokodo.example.com",
      "APP_ORIGIN: must use http:// or https://, not ftp://, such as https://dokodo.example.com",
    ],
    [
      "localhost:4100",
      'APP_ORIGIN: must start with http:// or https://; for "localhost:4100" use http://localhost:4100 (or https:// behind TLS)',
    ],
    [
      "http://localhost:4100/app",
      "APP_ORIGIN: must be an origin without a path, such as https://dokodo.example.com",
    ],
    [
      "http://",
      "APP_ORIGIN: must be an absolute URL such as https://dokodo.example.com",
    ],
  ])("rejects %s", (origin, problem) => {
    expect(problemsOf({ APP_ORIGIN: origin })).toEqual([problem]);
  });

  it.each([
    ["http://localhost:4100", "http://localhost:4100"],
    ["https://dokodo.example.com/", "https://dokodo.example.com"],
    [" HTTP://Dokodo.Example.com:8443 ", "http://dokodo.example.com:8443"],
  ])("accepts %s", (origin, expected) => {
    expect(parseEnv({ APP_ORIGIN: origin }).APP_ORIGIN).toBe(expected);
  });
});

describe("PORT=0", () => {
  it("is rejected without APP_ORIGIN", () => {
    expect(problemsOf({ PORT: "0" })).toEqual([
      "PORT: 0 (any free port) needs APP_ORIGIN, because the default origin http://localhost:$PORT would name port 0 and every form would be rejected; set a fixed PORT, or set APP_ORIGIN to the address clients use",
    ]);
  });

  it("is accepted with APP_ORIGIN", () => {
    const env = parseEnv({ PORT: "0", APP_ORIGIN: "http://localhost:8080" });
    expect(env.PORT).toBe(0);
    expect(env.APP_ORIGIN).toBe("http://localhost:8080");
  });

  it("is accepted for test servers", () => {
    expect(problemsOf({ NODE_ENV: "test", PORT: "0" })).toEqual([]);
  });
});

describe("server start-up", () => {
  it("exits naming a weak SESSION_SECRET", async () => {
    const failure = await run("node", ["--import", "tsx", "server/main.ts"], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        SESSION_SECRET: "a-twenty-char-secret",
        TWO_FACTOR_ENCRYPTION_KEY: generateEncryptionKey(),
        COOKIE_SECURE: "true",
        APP_ORIGIN: "https://dokodo.example.com",
        DATABASE_URL: "postgresql://dokodo@127.0.0.1:1/dokodo?sslmode=require",
        SMTP_URL: "smtp://127.0.0.1:1",
      },
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("Invalid configuration (1 problem):");
    expect(failure?.stderr).toContain(
      "SESSION_SECRET: the secret has 20 characters but needs at least 64",
    );
    expect(failure?.stderr).toContain("randomBytes(48)");
  });
});

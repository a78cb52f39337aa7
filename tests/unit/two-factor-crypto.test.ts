import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

import { describe, expect, it } from "vitest";

import {
  decryptTotpSecret,
  encryptTotpSecret,
  hashRecoveryCodeCandidates,
  TwoFactorKeyError,
} from "~/modules/two-factor/crypto.server";
import { generateTotpSecret } from "~/modules/two-factor/totp.server";
import { ConfigError, initEnv, parseEnv } from "~/utils/env.server";

import { decodeBase32 } from "../support/totp";

const run = promisify(execFile);

function newKey(): string {
  return randomBytes(32).toString("base64");
}

function useKeys(...keys: string[]): void {
  initEnv({ NODE_ENV: "test", TWO_FACTOR_ENCRYPTION_KEY: keys.join(",") });
}

function problemsOf(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("TOTP secret encryption", () => {
  it("round-trips without storing the secret", () => {
    useKeys(newKey());
    const secret = generateTotpSecret();
    const stored = encryptTotpSecret(secret, "user-1");
    expect(stored).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(stored).not.toContain(secret);
    const raw = decodeBase32(secret);
    expect(stored).not.toContain(raw.toString("base64url"));
    expect(stored).not.toContain(raw.toString("hex"));
    expect(decryptTotpSecret(stored, "user-1")).toBe(secret);
  });

  it("uses a fresh IV each time", () => {
    useKeys(newKey());
    const secret = generateTotpSecret();
    const first = encryptTotpSecret(secret, "user-1").split(".");
    const second = encryptTotpSecret(secret, "user-1").split(".");
    expect(first[2]).not.toBe(second[2]);
    expect(first[3]).not.toBe(second[3]);
  });

  it("fails clearly under another key", () => {
    useKeys(newKey());
    const stored = encryptTotpSecret(generateTotpSecret(), "user-1");
    useKeys(newKey());
    expect(() => decryptTotpSecret(stored, "user-1")).toThrow(
      TwoFactorKeyError,
    );
    expect(() => decryptTotpSecret(stored, "user-1")).toThrow(
      /was encrypted with key [0-9a-f]{8}, which TWO_FACTOR_ENCRYPTION_KEY does not list/,
    );
  });

  it("decrypts old secrets after rotation", () => {
    const oldKey = newKey();
    useKeys(oldKey);
    const secret = generateTotpSecret();
    const stored = encryptTotpSecret(secret, "user-1");
    useKeys(newKey(), oldKey);
    expect(decryptTotpSecret(stored, "user-1")).toBe(secret);
    const rotated = encryptTotpSecret(secret, "user-1");
    expect(rotated.split(".")[1]).not.toBe(stored.split(".")[1]);
  });

  it("rejects another user's ciphertext", () => {
    useKeys(newKey());
    const stored = encryptTotpSecret(generateTotpSecret(), "user-1");
    expect(() => decryptTotpSecret(stored, "user-2")).toThrow(
      /auth tag does not match/,
    );
  });

  it("rejects an altered ciphertext", () => {
    useKeys(newKey());
    const parts = encryptTotpSecret(generateTotpSecret(), "user-1").split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString("base64url");
    expect(() => decryptTotpSecret(parts.join("."), "user-1")).toThrow(
      /auth tag does not match/,
    );
  });

  it("rejects an unknown format", () => {
    useKeys(newKey());
    expect(() => decryptTotpSecret("JBSWY3DPEHPK3PXP", "user-1")).toThrow(
      /is not in the v1 format/,
    );
  });

  it("reports a missing key", () => {
    initEnv({ NODE_ENV: "test" });
    expect(() => encryptTotpSecret(generateTotpSecret(), "user-1")).toThrow(
      /TWO_FACTOR_ENCRYPTION_KEY is not set/,
    );
  });
});

describe("recovery code hashes", () => {
  it("hash under every key, current first", () => {
    const oldKey = newKey();
    useKeys(oldKey);
    const [oldHash] = hashRecoveryCodeCandidates("abcde12345");
    useKeys(newKey(), oldKey);
    const candidates = hashRecoveryCodeCandidates("abcde12345");
    expect(candidates).toHaveLength(2);
    expect(candidates[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(candidates[0]).not.toBe(oldHash);
    expect(candidates[1]).toBe(oldHash);
  });
});

describe("TWO_FACTOR_ENCRYPTION_KEY validation", () => {
  it("accepts a rotation list", () => {
    const first = newKey();
    const second = newKey();
    const env = parseEnv({ TWO_FACTOR_ENCRYPTION_KEY: `${first}, ${second}` });
    expect(env.TWO_FACTOR_ENCRYPTION_KEY).toEqual([
      Buffer.from(first, "base64"),
      Buffer.from(second, "base64"),
    ]);
  });

  it("rejects a short key", () => {
    expect(
      problemsOf({
        TWO_FACTOR_ENCRYPTION_KEY: randomBytes(16).toString("base64"),
      }),
    ).toEqual([
      expect.stringMatching(
        /^TWO_FACTOR_ENCRYPTION_KEY: the key must be 32 random bytes in base64 \(44 characters\), but it decodes to 16 bytes; generate one with/,
      ),
    ]);
  });

  it("rejects text that is not base64", () => {
    expect(
      problemsOf({ TWO_FACTOR_ENCRYPTION_KEY: `${newKey()},not a key!` }),
    ).toEqual([
      expect.stringMatching(
        /^TWO_FACTOR_ENCRYPTION_KEY: key 2 must be 32 random bytes in base64 \(44 characters\), but it is not base64;/,
      ),
    ]);
  });

  it("rejects a duplicated key", () => {
    const key = newKey();
    expect(problemsOf({ TWO_FACTOR_ENCRYPTION_KEY: `${key},${key}` })).toEqual([
      "TWO_FACTOR_ENCRYPTION_KEY: the list contains the same key twice; remove the duplicate",
    ]);
  });

  it("stops start-up on a bad key", async () => {
    const failure = await run("node", ["--import", "tsx", "server/main.ts"], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "test",
        TWO_FACTOR_ENCRYPTION_KEY: "c2hvcnQ=",
        DATABASE_URL: "postgresql://dokodo@127.0.0.1:1/dokodo",
      },
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("Invalid configuration (1 problem):");
    expect(failure?.stderr).toContain(
      "TWO_FACTOR_ENCRYPTION_KEY: the key must be 32 random bytes in base64 (44 characters), but it decodes to 5 bytes",
    );
  }, 30_000);
});

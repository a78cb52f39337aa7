// Keys for two-factor data. Each configured TWO_FACTOR_ENCRYPTION_KEY entry
// (32 random bytes) yields, through HKDF-SHA-256 with distinct labels, an
// AES-256-GCM key for TOTP secrets, an HMAC-SHA-256 key for recovery codes
// and a short public key ID, so no key is used for two purposes.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
} from "node:crypto";

import { getEnv } from "~/utils/env.server";

const FORMAT_VERSION = "v1";
const IV_BYTES = 12;
const AUTH_TAG_BYTES = 16;

type DerivedKey = {
  /** 8 hex digits that name the key in ciphertexts; reveals nothing of it. */
  id: string;
  encryptionKey: Buffer;
  hmacKey: Buffer;
};

/** Thrown when two-factor data cannot be decrypted with the configured keys. */
export class TwoFactorKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TwoFactorKeyError";
  }
}

function derive(key: Buffer, label: string, length: number): Buffer {
  return Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), label, length));
}

const derivedKeyCache = new WeakMap<readonly Buffer[], DerivedKey[]>();

/**
 * Derives the keys of every configured TWO_FACTOR_ENCRYPTION_KEY entry,
 * first entry first. Throws when the variable is unset.
 */
function getDerivedKeys(): DerivedKey[] {
  const keys = getEnv().TWO_FACTOR_ENCRYPTION_KEY;
  if (!keys || keys.length === 0) {
    throw new TwoFactorKeyError(
      "TWO_FACTOR_ENCRYPTION_KEY is not set, so two-step sign-in cannot encrypt or read secrets; set it as described in .env.example.",
    );
  }
  let derived = derivedKeyCache.get(keys);
  if (!derived) {
    derived = keys.map((key) => ({
      id: derive(key, "dokodo two-factor key id", 4).toString("hex"),
      encryptionKey: derive(key, "dokodo totp secret aes-256-gcm", 32),
      hmacKey: derive(key, "dokodo recovery code hmac-sha256", 32),
    }));
    derivedKeyCache.set(keys, derived);
  }
  return derived;
}

/** Additional authenticated data: a ciphertext only decrypts for its user. */
function associatedData(userId: string): Buffer {
  return Buffer.from(`dokodo:totp-secret:${userId}`, "utf8");
}

/**
 * Encrypts a TOTP secret for one user with AES-256-GCM under the first
 * configured key and a random 96-bit IV. Returns
 * "v1.<key id>.<iv>.<ciphertext>.<auth tag>", the binary parts in base64url.
 */
export function encryptTotpSecret(secret: string, userId: string): string {
  const [key] = getDerivedKeys();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key!.encryptionKey, iv, {
    authTagLength: AUTH_TAG_BYTES,
  });
  cipher.setAAD(associatedData(userId));
  const ciphertext = Buffer.concat([
    cipher.update(secret, "utf8"),
    cipher.final(),
  ]);
  return [
    FORMAT_VERSION,
    key!.id,
    iv.toString("base64url"),
    ciphertext.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
  ].join(".");
}

/**
 * Decrypts a value written by encryptTotpSecret for the same user. Throws
 * TwoFactorKeyError when the format is unknown, when no configured key has
 * the stored key ID, or when the auth tag does not verify (another key,
 * another user, or altered data).
 */
export function decryptTotpSecret(stored: string, userId: string): string {
  const parts = stored.split(".");
  if (parts.length !== 5 || parts[0] !== FORMAT_VERSION) {
    throw new TwoFactorKeyError(
      `The stored TOTP secret of user ${userId} is not in the ${FORMAT_VERSION} format and cannot be decrypted.`,
    );
  }
  const [, keyId, iv, ciphertext, authTag] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];

  const key = getDerivedKeys().find((candidate) => candidate.id === keyId);
  if (!key) {
    throw new TwoFactorKeyError(
      `The TOTP secret of user ${userId} was encrypted with key ${keyId}, which TWO_FACTOR_ENCRYPTION_KEY does not list; add that key back to the list.`,
    );
  }

  const tag = Buffer.from(authTag, "base64url");
  const nonce = Buffer.from(iv, "base64url");
  if (tag.length !== AUTH_TAG_BYTES || nonce.length !== IV_BYTES) {
    throw new TwoFactorKeyError(
      `The stored TOTP secret of user ${userId} is damaged: its IV or auth tag has the wrong length.`,
    );
  }

  const decipher = createDecipheriv("aes-256-gcm", key.encryptionKey, nonce, {
    authTagLength: AUTH_TAG_BYTES,
  });
  decipher.setAAD(associatedData(userId));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new TwoFactorKeyError(
      `Decryption of the TOTP secret of user ${userId} with key ${keyId} failed: the auth tag does not match, so the stored value was altered or belongs to another user.`,
    );
  }
}

/**
 * Returns the hex HMAC-SHA-256 of a normalized recovery code under every
 * configured key, first key first. New codes are stored under the first;
 * a lookup accepts any, so codes survive a key rotation.
 */
export function hashRecoveryCodeCandidates(normalizedCode: string): string[] {
  return getDerivedKeys().map((key) =>
    createHmac("sha256", key.hmacKey).update(normalizedCode).digest("hex"),
  );
}

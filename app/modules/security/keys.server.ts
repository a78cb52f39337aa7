import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

/** Maximum length of the key stored for an address that is neither IPv4 nor IPv6. */
const OTHER_ADDRESS_MAX_LENGTH = 64;

/**
 * Returns the email as sign-in looks it up: trimmed and lower-cased, or ""
 * when the form field is missing or not text.
 */
export function normalizeEmail(value: FormDataEntryValue | null): string {
  return typeof value === "string" ? value.trim().toLowerCase() : "";
}

/**
 * Returns the SHA-256 hex digest of a normalized email. Throttle counters,
 * lockout rows and log lines store this digest, never the address.
 */
export function hashEmail(normalizedEmail: string): string {
  return createHash("sha256").update(normalizedEmail).digest("hex");
}

/** Returns the first 16 hex digits of an email digest, for log lines. */
export function emailHashForLog(emailHash: string): string {
  return `sha256:${emailHash.slice(0, 16)}`;
}

/**
 * Expands an IPv6 address (without zone) to eight 16-bit groups. Returns
 * null when the text is not a valid IPv6 address.
 */
export function expandIPv6(address: string): number[] | null {
  if (!isIPv6(address)) return null;
  let text = address;
  const tail: number[] = [];
  // An IPv4 tail such as ::ffff:192.0.2.1 stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    const [a, b, c, d] = last.split(".").map(Number) as [
      number,
      number,
      number,
      number,
    ];
    tail.push((a << 8) | b, (c << 8) | d);
    text = `${text.slice(0, lastColon + 1)}0`;
    // The placeholder group is replaced by the two tail groups below.
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const explicit = [...headGroups, ...restGroups];
  const groupCount = 8 - (tail.length > 0 ? 1 : 0);
  const zeros = rest === undefined ? 0 : groupCount - explicit.length;
  const groups = [
    ...headGroups,
    ...Array<string>(zeros).fill("0"),
    ...restGroups,
  ].map((group) => Number.parseInt(group, 16));
  if (tail.length > 0) groups.splice(-1, 1, ...tail);
  return groups.length === 8 ? groups : null;
}

/**
 * Returns the throttle key for a client address: an IPv4 address as is
 * (also when IPv4-mapped), and an IPv6 address as its /64 prefix, because
 * one subscriber usually gets a whole /64 and could otherwise rotate
 * through 2^64 keys. Anything else is kept, truncated, as text.
 */
export function clientAddressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const withoutZone = address.split("%")[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(withoutZone);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(withoutZone)) return withoutZone;
  const groups = expandIPv6(withoutZone);
  if (groups) {
    const prefix = groups.slice(0, 4).map((group) => group.toString(16));
    return `${prefix.join(":")}::/64`;
  }
  return address.slice(0, OTHER_ADDRESS_MAX_LENGTH);
}

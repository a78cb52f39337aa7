/**
 * Returns `target` when it is a path on this site, otherwise `fallback`.
 *
 * Accepted: a single leading "/" followed by anything but "/" or "\".
 * Rejected: protocol-relative URLs ("//evil", "/\evil"), absolute URLs,
 * schemes such as javascript: and data:, and values whose decoded form,
 * control characters or dot segments ("/..//evil") could turn them into one
 * of those.
 */
export function safeRedirect(
  target: FormDataEntryValue | string | null | undefined,
  fallback = "/items",
): string {
  if (typeof target !== "string" || target.length === 0) return fallback;
  if (target.length > 2048) return fallback;
  // Browsers drop tabs and newlines inside URLs, so "/\t/evil" is "//evil".
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(target)) return fallback;
  if (!target.startsWith("/") || target.startsWith("//")) return fallback;

  let decoded = target;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    return fallback;
  }
  if (decoded.startsWith("//") || decoded.includes("\\")) return fallback;

  // Resolving against a dummy origin must keep that origin.
  const resolved = new URL(target, "http://dokodo.invalid");
  if (resolved.origin !== "http://dokodo.invalid") return fallback;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // Dot segments collapse during resolution, so "/..//evil" and
  // "/%2e//evil" come out as the protocol-relative "//evil".
  if (path.startsWith("//")) return fallback;
  return path;
}

/** Deprecation and sunset dates of one API version, with its notice. */
export type ApiDeprecation = {
  /** When the version was deprecated. */
  deprecatedAt: Date;
  /** When the version stops serving requests, at least 183 days after deprecatedAt. */
  sunsetAt: Date;
  /** Absolute URL of the notice that explains the change and how to migrate. */
  noticeUrl: string;
};

/** The minimum time between deprecation and sunset that the policy promises. */
export const MIN_DEPRECATION_PERIOD_MS = 183 * 24 * 60 * 60 * 1000;

/**
 * Deprecated API versions, by path segment ("v1" for /api/v1). Server
 * middleware adds the deprecation headers to every response of a listed
 * version. No version is deprecated yet.
 */
export const API_DEPRECATIONS: ReadonlyMap<string, ApiDeprecation> = new Map();

/**
 * Adds the headers that mark a response's API version as deprecated.
 * `Deprecation` is an RFC 9745 structured date (`@` and Unix seconds) and
 * `Sunset` an RFC 8594 HTTP-date. Two `Link` entries with the relations
 * "deprecation" and "sunset" point at the notice. Throws when sunsetAt comes
 * less than MIN_DEPRECATION_PERIOD_MS after deprecatedAt, or when the
 * notice URL is not absolute.
 */
export function markApiVersionDeprecated(
  headers: Headers,
  deprecation: ApiDeprecation,
): void {
  const { deprecatedAt, sunsetAt, noticeUrl } = deprecation;
  if (sunsetAt.getTime() - deprecatedAt.getTime() < MIN_DEPRECATION_PERIOD_MS) {
    throw new Error(
      `Sunset ${sunsetAt.toISOString()} is less than 183 days after deprecation ${deprecatedAt.toISOString()}; move it later.`,
    );
  }
  const notice = new URL(noticeUrl).href;
  headers.set("Deprecation", `@${Math.floor(deprecatedAt.getTime() / 1000)}`);
  headers.set("Sunset", sunsetAt.toUTCString());
  headers.append("Link", `<${notice}>; rel="deprecation"; type="text/html"`);
  headers.append("Link", `<${notice}>; rel="sunset"; type="text/html"`);
}

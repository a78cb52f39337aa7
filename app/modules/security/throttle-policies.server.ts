import type { Env } from "../../utils/env.server";

/**
 * The value a throttle counter is keyed on. The Express middleware checks
 * "ip" policies before Remix runs. "user" and "email" policies need the
 * session or the form body, so the route action checks them with
 * checkThrottle() or enforceThrottle().
 */
export type ThrottleKeyKind = "ip" | "user" | "email";

/** Names of the throttle policies, as sent in RateLimit headers. */
export type ThrottlePolicyName =
  | "global"
  | "auth"
  | "password-reset-ip"
  | "password-reset-email"
  | "verification-resend"
  | "checkout"
  | "import-upload";

/** One row of the throttle table: a fixed-window limit on some requests. */
export type ThrottlePolicy = {
  name: ThrottlePolicyName;
  /** Upper-case HTTP methods the policy counts, or "*" for every method. */
  methods: readonly string[] | "*";
  /**
   * Paths the policy counts, compared after normalizeRequestPath(), or "*"
   * for every path that is not exempt. A ":name" segment matches any one
   * segment.
   */
  paths: readonly string[] | "*";
  key: ThrottleKeyKind;
  /** Requests allowed per window and key. */
  limit: number;
  windowSeconds: number;
};

const ANY = "*";
const POST = ["POST"] as const;

/**
 * Builds the throttle table from the configuration. Every policy whose
 * methods and paths match a request counts it, so a POST to /login uses
 * both "global" and "auth".
 */
export function createThrottlePolicies(env: Env): readonly ThrottlePolicy[] {
  return [
    {
      name: "global",
      methods: ANY,
      paths: ANY,
      key: "ip",
      limit: env.THROTTLE_GLOBAL_LIMIT,
      windowSeconds: env.THROTTLE_GLOBAL_WINDOW_SECONDS,
    },
    {
      name: "auth",
      methods: POST,
      paths: [
        "/login",
        "/register",
        "/login/2fa",
        "/api/v1/auth/password-strength",
      ],
      key: "ip",
      limit: env.THROTTLE_AUTH_LIMIT,
      windowSeconds: env.THROTTLE_AUTH_WINDOW_SECONDS,
    },
    {
      name: "password-reset-ip",
      methods: POST,
      paths: ["/forgot-password", "/reset-password"],
      key: "ip",
      limit: env.THROTTLE_PASSWORD_RESET_LIMIT,
      windowSeconds: env.THROTTLE_PASSWORD_RESET_WINDOW_SECONDS,
    },
    {
      name: "password-reset-email",
      methods: POST,
      paths: ["/forgot-password", "/reset-password"],
      key: "email",
      limit: env.THROTTLE_PASSWORD_RESET_LIMIT,
      windowSeconds: env.THROTTLE_PASSWORD_RESET_WINDOW_SECONDS,
    },
    {
      name: "verification-resend",
      methods: POST,
      paths: ["/verify-email/resend"],
      key: "user",
      limit: env.THROTTLE_VERIFICATION_RESEND_LIMIT,
      windowSeconds: env.THROTTLE_VERIFICATION_RESEND_WINDOW_SECONDS,
    },
    {
      name: "checkout",
      methods: POST,
      paths: [
        "/api/v1/payments/checkout-sessions",
        "/api/v1/payments/checkout-sessions/:id/confirm",
      ],
      key: "user",
      limit: env.THROTTLE_CHECKOUT_LIMIT,
      windowSeconds: env.THROTTLE_CHECKOUT_WINDOW_SECONDS,
    },
    {
      // The import route counts only CSV file uploads, not the confirm and
      // discard forms that post to the same path. Each upload is parsed,
      // planned and stored for a day, which took about 1.5 s of CPU for
      // 50,000 rows in bench/csv.ts.
      name: "import-upload",
      methods: POST,
      paths: ["/items/import"],
      key: "user",
      limit: env.THROTTLE_IMPORT_UPLOAD_LIMIT,
      windowSeconds: env.THROTTLE_IMPORT_UPLOAD_WINDOW_SECONDS,
    },
  ];
}

/** Requests that no policy counts, by method and normalized path. */
export const THROTTLE_EXEMPTIONS: readonly {
  methods: readonly string[];
  paths: readonly string[];
  reason: string;
}[] = [
  {
    methods: ["GET", "HEAD"],
    paths: ["/healthz", "/readyz"],
    reason: "load balancers and orchestrators poll these",
  },
  {
    methods: ["POST"],
    paths: ["/api/v1/payments/webhooks/stripe"],
    reason:
      "Stripe sends bursts and retries from shared addresses; the webhook signature authenticates each call",
  },
];

/**
 * Returns the path that policies match against: percent-decoded, lower-case
 * (Remix matches routes case-insensitively), without repeated or trailing
 * slashes, and without the ".data" suffix of Remix single-fetch requests, so
 * /LOGIN/, //login and /login.data all count as /login.
 */
export function normalizeRequestPath(pathname: string): string {
  let path = pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Invalid percent-encoding: match on the raw text.
  }
  path = path.toLowerCase().replace(/\/{2,}/g, "/");
  if (path.endsWith(".data")) {
    path = path.slice(0, -".data".length);
    if (path === "/_root") path = "/";
  }
  path = path.replace(/\/+$/, "");
  return path === "" ? "/" : path;
}

function matchesPattern(pattern: string, path: string): boolean {
  const patternSegments = pattern.split("/");
  const pathSegments = path.split("/");
  if (patternSegments.length !== pathSegments.length) return false;
  return patternSegments.every(
    (segment, index) =>
      segment === pathSegments[index] ||
      (segment.startsWith(":") && pathSegments[index] !== ""),
  );
}

/** Returns whether `paths` lists the normalized `path`. */
export function pathListMatches(
  paths: readonly string[] | "*",
  path: string,
): boolean {
  return (
    paths === ANY || paths.some((pattern) => matchesPattern(pattern, path))
  );
}

/** Returns whether a policy counts a request with this method and path. */
export function policyMatches(
  policy: ThrottlePolicy,
  method: string,
  normalizedPath: string,
): boolean {
  const methodMatches =
    policy.methods === ANY || policy.methods.includes(method.toUpperCase());
  return methodMatches && pathListMatches(policy.paths, normalizedPath);
}

/** Returns whether a request is listed in THROTTLE_EXEMPTIONS. */
export function isExemptRequest(
  method: string,
  normalizedPath: string,
): boolean {
  const upper = method.toUpperCase();
  return THROTTLE_EXEMPTIONS.some(
    (exemption) =>
      exemption.methods.includes(upper) &&
      pathListMatches(exemption.paths, normalizedPath),
  );
}

/** Returns the policy named `name`; throws when the table has none. */
export function findThrottlePolicy(
  policies: readonly ThrottlePolicy[],
  name: ThrottlePolicyName,
): ThrottlePolicy {
  const policy = policies.find((candidate) => candidate.name === name);
  if (!policy) throw new Error(`No throttle policy is named "${name}".`);
  return policy;
}

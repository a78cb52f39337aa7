import http from "node:http";

import { expect } from "vitest";

/** Splits a Content-Security-Policy header into directive → sources. */
export function parseCsp(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** Returns the nonce in a CSP header's script-src directive. */
export function nonceOf(response: Response): string {
  const scriptSources = parseCsp(
    response.headers.get("content-security-policy"),
  ).get("script-src");
  const nonceSource = scriptSources?.find((source) =>
    source.startsWith("'nonce-"),
  );
  if (!nonceSource) throw new Error("script-src has no nonce");
  return nonceSource.slice("'nonce-".length, -1);
}

/** Returns every opening `<script …>` tag of an HTML body. */
export function scriptTags(body: string): string[] {
  return [...body.matchAll(/<script\b[^>]*>/gi)].map((match) => match[0]);
}

/** The directives every response's policy has, outside production. */
export const EXPECTED_CSP_DIRECTIVES: Record<string, string[]> = {
  "default-src": ["'self'"],
  "style-src": [
    "'self'",
    "'unsafe-hashes'",
    // SHA-256 of "display:none", the honeypot's inline style.
    "'sha256-aqNNdDLnnrDOnTNdkJpYlAxKVJtLt9CtFLklmInuUAE='",
  ],
  "img-src": ["'self'", "data:", "blob:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "frame-ancestors": ["'none'"],
  "form-action": [
    "'self'",
    "https://checkout.stripe.com",
    "https://billing.stripe.com",
  ],
  "report-uri": ["/api/v1/csp-report"],
  "report-to": ["csp-endpoint"],
};

/**
 * Asserts the headers every response carries, whatever its kind: the CSP
 * with a fresh nonce, framing, sniffing, referrer, permissions and opener
 * policies, the reporting endpoint and the request ID, and no X-Powered-By.
 */
export function expectSecurityHeaders(response: Response): void {
  const headers = response.headers;
  const csp = parseCsp(headers.get("content-security-policy"));
  for (const [directive, sources] of Object.entries(EXPECTED_CSP_DIRECTIVES)) {
    expect(csp.get(directive), directive).toEqual(sources);
  }
  const scriptSources = csp.get("script-src");
  expect(scriptSources).toHaveLength(2);
  expect(scriptSources?.[0]).toMatch(/^'nonce-[A-Za-z0-9+/]{22}=='$/);
  expect(scriptSources?.[1]).toBe("'strict-dynamic'");
  const cspText = headers.get("content-security-policy") ?? "";
  expect(cspText).not.toContain("unsafe-inline");
  expect(cspText).not.toContain("unsafe-eval");

  expect(headers.get("x-frame-options")).toBe("DENY");
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe(
    "strict-origin-when-cross-origin",
  );
  const permissions = headers.get("permissions-policy") ?? "";
  expect(permissions).toContain("camera=()");
  expect(permissions).toContain("microphone=()");
  expect(permissions).toContain("geolocation=()");
  expect(headers.get("cross-origin-opener-policy")).toBe("same-origin");
  expect(headers.get("reporting-endpoints")).toBe(
    'csp-endpoint="/api/v1/csp-report"',
  );
  expect(headers.get("x-powered-by")).toBeNull();
  expect(headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
}

/** A response read by rawRequest. */
export type RawResponse = {
  status: number;
  headers: import("node:http").IncomingHttpHeaders;
  body: string;
};

/**
 * Sends one request with node:http, which, unlike fetch, sends the Host
 * header it is given. Redirects are not followed.
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: hostname,
        port,
        path,
        method: options.method ?? "GET",
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

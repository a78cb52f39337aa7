import type { Request } from "express";
import { describe, expect, it } from "vitest";

import {
  markApiVersionDeprecated,
  MIN_DEPRECATION_PERIOD_MS,
} from "~/utils/api-version.server";
import {
  MAX_REPORTS_PER_REQUEST,
  parseCspReportBody,
  parseReportingApiBody,
} from "~/utils/csp-report.server";
import { LogRateLimiter } from "~/utils/log-rate-limit.server";

import { evaluateRequestOrigin } from "../../server/request-origin";

describe("LogRateLimiter", () => {
  it("drops lines over the cap and reports the count", () => {
    let now = 1_000;
    const limiter = new LogRateLimiter(2, 60_000, () => now);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBeNull();
    expect(limiter.take()).toBeNull();
    now += 59_999;
    expect(limiter.take()).toBeNull();
    now += 1;
    expect(limiter.take()).toBe(3);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBeNull();
  });
});

describe("markApiVersionDeprecated", () => {
  const deprecatedAt = new Date("2027-01-01T00:00:00Z");
  const sunsetAt = new Date("2027-07-31T12:30:00Z");
  const noticeUrl = "https://dokodo.example.com/docs/api-v1-sunset";

  it("adds RFC 9745 and RFC 8594 headers", () => {
    const headers = new Headers({ Link: '</api/v2>; rel="successor-version"' });
    markApiVersionDeprecated(headers, { deprecatedAt, sunsetAt, noticeUrl });
    expect(headers.get("deprecation")).toBe("@1798761600");
    expect(headers.get("sunset")).toBe("Sat, 31 Jul 2027 12:30:00 GMT");
    expect(headers.get("link")).toBe(
      '</api/v2>; rel="successor-version", ' +
        `<${noticeUrl}>; rel="deprecation"; type="text/html", ` +
        `<${noticeUrl}>; rel="sunset"; type="text/html"`,
    );
  });

  it("rejects a sunset inside the notice period", () => {
    const early = new Date(
      deprecatedAt.getTime() + MIN_DEPRECATION_PERIOD_MS - 1,
    );
    expect(() =>
      markApiVersionDeprecated(new Headers(), {
        deprecatedAt,
        sunsetAt: early,
        noticeUrl,
      }),
    ).toThrow(/less than 183 days after deprecation/);
  });

  it("rejects a relative notice URL", () => {
    expect(() =>
      markApiVersionDeprecated(new Headers(), {
        deprecatedAt,
        sunsetAt,
        noticeUrl: "/docs/api-versioning",
      }),
    ).toThrow(TypeError);
  });
});

describe("CSP report parsing", () => {
  it("reads a report-uri body without query strings", () => {
    const violations = parseCspReportBody({
      "csp-report": {
        "document-uri": "https://dokodo.test/items?q=secret#x",
        "blocked-uri": "inline",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        disposition: "enforce",
        "source-file": "https://dokodo.test/build/app.js?v=1",
        "line-number": 12,
        "column-number": 3,
        "script-sample": "alert(document.cookie)",
      },
    });
    expect(violations).toEqual([
      {
        documentUrl: "https://dokodo.test/items",
        blockedUrl: "inline",
        effectiveDirective: "script-src-elem",
        disposition: "enforce",
        sourceFile: "https://dokodo.test/build/app.js",
        lineNumber: 12,
        columnNumber: 3,
      },
    ]);
  });

  it("reads Reporting API csp-violation entries only", () => {
    const violations = parseReportingApiBody([
      {
        type: "csp-violation",
        url: "https://dokodo.test/login",
        body: {
          documentURL: "https://dokodo.test/login?redirectTo=%2Fitems",
          blockedURL: "https://evil.example/x.js?token=1",
          effectiveDirective: "script-src-elem",
          disposition: "enforce",
          lineNumber: 1,
        },
      },
      { type: "deprecation", url: "https://dokodo.test/", body: {} },
    ]);
    expect(violations).toEqual([
      {
        documentUrl: "https://dokodo.test/login",
        blockedUrl: "https://evil.example/x.js",
        effectiveDirective: "script-src-elem",
        disposition: "enforce",
        sourceFile: null,
        lineNumber: 1,
        columnNumber: null,
      },
    ]);
  });

  it("caps the reports read per body", () => {
    const report = {
      type: "csp-violation",
      url: "https://dokodo.test/",
      body: {},
    };
    const violations = parseReportingApiBody(
      Array.from({ length: MAX_REPORTS_PER_REQUEST + 5 }, () => report),
    );
    expect(violations).toHaveLength(MAX_REPORTS_PER_REQUEST);
  });

  it.each([null, 1, "x", [], { report: {} }, { "csp-report": "x" }])(
    "rejects the csp-report body %j",
    (body) => {
      expect(parseCspReportBody(body)).toBeNull();
    },
  );

  it.each([null, {}, [1], ["x"], { type: "csp-violation" }])(
    "rejects the reports+json body %j",
    (body) => {
      expect(parseReportingApiBody(body)).toBeNull();
    },
  );
});

describe("evaluateRequestOrigin", () => {
  const env = {
    APP_ORIGIN: "https://dokodo.test",
    CORS_ALLOWED_ORIGINS: ["https://partner.example"],
  };

  function evaluate(
    path: string,
    headers: Record<string, string>,
    method = "POST",
  ) {
    const lowerCased = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [
        name.toLowerCase(),
        value,
      ]),
    );
    const request = {
      method,
      path,
      get: (name: string) => lowerCased[name.toLowerCase()],
    } as unknown as Request;
    return evaluateRequestOrigin(request, env);
  }

  const form = { "Content-Type": "application/x-www-form-urlencoded" };
  const json = { "Content-Type": "application/json" };

  it.each<[string, Record<string, string>, string | null]>([
    ["/items/new", { ...form, Origin: "https://dokodo.test" }, null],
    [
      "/items/new",
      { ...form, Origin: "https://evil.example" },
      "foreign_origin",
    ],
    ["/items/new", { ...form, Origin: "null" }, "foreign_origin"],
    [
      "/items/new",
      { ...form, Origin: "https://partner.example" },
      "foreign_origin",
    ],
    ["/items/new", { ...form, Origin: "http://dokodo.test" }, "foreign_origin"],
    [
      "/items/new",
      {
        ...form,
        Origin: "https://dokodo.test",
        "Sec-Fetch-Site": "cross-site",
      },
      "cross_site_fetch",
    ],
    [
      "/items/new",
      { ...form, "Sec-Fetch-Site": "cross-site" },
      "cross_site_fetch",
    ],
    ["/items/new", { ...form, Referer: "https://dokodo.test/items/new" }, null],
    [
      "/items/new",
      { ...form, Referer: "https://evil.example/dokodo.test" },
      "foreign_referer",
    ],
    ["/items/new", { ...form, Referer: "not a url" }, "foreign_referer"],
    ["/items/new", form, "missing_origin"],
    ["/items/new", json, "missing_origin"],
    ["/api/v1/things", { ...json, Origin: "https://partner.example" }, null],
    [
      "/api/v1/things",
      {
        ...json,
        Origin: "https://partner.example",
        "Sec-Fetch-Site": "cross-site",
      },
      null,
    ],
    [
      "/api/v1/things",
      { ...json, Origin: "https://evil.example" },
      "foreign_origin",
    ],
    ["/api/v1/things", json, null],
    ["/api/v1/things", form, "missing_origin"],
    ["/api/v1/things", { "Content-Type": "text/plain" }, "missing_origin"],
    ["/api/v1/things", {}, "missing_origin"],
  ])("POST %s with %j gives %s", (path, headers, expected) => {
    expect(evaluate(path, headers)).toBe(expected);
  });

  it("accepts a bodiless API DELETE without Origin", () => {
    expect(evaluate("/api/v1/things/1", {}, "DELETE")).toBeNull();
  });

  it("rejects a page DELETE without Origin", () => {
    expect(evaluate("/items/1", {}, "DELETE")).toBe("missing_origin");
  });
});

import { describe, expect, it } from "vitest";

import { safeRedirect } from "~/utils/redirect";

describe("safeRedirect", () => {
  it.each([
    ["/items", "/items"],
    ["/items/abc?q=drill#top", "/items/abc?q=drill#top"],
    ["/locations/new?parentId=x%2Fy", "/locations/new?parentId=x%2Fy"],
    ["/search?next=//evil.example", "/search?next=//evil.example"],
    ["/a/../items", "/items"],
    ["/%09/evil.example", "/%09/evil.example"],
  ])("keeps the local path %j", (target, expected) => {
    expect(safeRedirect(target)).toBe(expected);
  });

  it.each([
    "",
    "items",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%5c%5cevil.example/..",
    "/..//evil.example",
    "/.//evil.example",
    "/%2e%2e//evil.example",
    "/%2e//evil.example",
    "/items/..//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/",
    "http://evil.example",
    "https:evil.example",
    "/%E0%A4%A",
    `/${"a".repeat(2048)}`,
  ])("falls back for %j", (target) => {
    expect(safeRedirect(target)).toBe("/items");
  });

  it("falls back for non-strings", () => {
    expect(safeRedirect(null)).toBe("/items");
    expect(safeRedirect(undefined)).toBe("/items");
    expect(safeRedirect(new File([], "x"))).toBe("/items");
  });

  it("uses the given fallback", () => {
    expect(safeRedirect("//evil.example", "/")).toBe("/");
  });
});

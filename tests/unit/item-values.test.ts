import { describe, expect, it } from "vitest";

import {
  formatMinorUnits,
  formatMoney,
  parseMoney,
} from "~/modules/inventory/money";
import {
  LOCATION_PATH_MAX_DEPTH,
  LOCATION_PATH_SEPARATOR,
  TAG_SEPARATOR,
} from "~/modules/inventory/csv/columns";
import { parseImportCsv } from "~/modules/inventory/csv/parse";
import {
  itemFormSchema,
  LOCATION_MAX_DEPTH,
  locationNameSchema,
  parseItemForm,
} from "~/modules/inventory/schemas";
import {
  formatAssetId,
  hasVisibleCharacter,
  parseAssetId,
  parseBoolean,
  parseCheckboxValue,
  parseDate,
  parseHttpUrl,
} from "~/modules/inventory/values";
import { ConfigError, parseEnv } from "~/utils/env.server";

const TODAY = new Date("2026-06-01T12:00:00Z");

describe("parseDate", () => {
  it.each([
    ["2024-03-31", "2024-03-31"],
    ["  2024-03-31 ", "2024-03-31"],
    ["03/31/2024", "2024-03-31"],
    ["3/5/2024", "2024-03-05"],
    ["2024/03/31", "2024-03-31"],
    ["2024/3/5", "2024-03-05"],
    ["2024-03-31T10:20:30Z", "2024-03-31"],
    ["2024-03-31t10:20:30z", "2024-03-31"],
    ["2024-03-31 10:20:30Z", "2024-03-31"],
    ["2024-03-31T23:30:00-05:00", "2024-03-31"],
    ["2024-03-31T00:30:00.123+02:00", "2024-03-31"],
    ["2016-12-31T23:59:60Z", "2016-12-31"],
    ["2024-02-29", "2024-02-29"],
    ["1900-01-01", "1900-01-01"],
    ["2027-12-31", "2027-12-31"],
    ["", null],
  ])("accepts %j", (text, expected) => {
    expect(parseDate(text, "past", TODAY)).toEqual({
      ok: true,
      value: expected,
    });
  });

  it.each([
    ["31/03/2024", "“31/03/2024” is not a calendar date"],
    ["2023-02-29", "“2023-02-29” is not a calendar date"],
    ["2024-00-10", "“2024-00-10” is not a calendar date"],
    ["13/45/2023", "“13/45/2023” is not a calendar date"],
    ["0202-05-01", "The year 0202 is before 1900"],
    ["1899-12-31", "The year 1899 is before 1900"],
    ["2028-01-01", "2028-01-01 is after the end of 2027"],
    ["05/01/24", "“05/01/24” has a two-digit year"],
    ["202-05-01", "“202-05-01” is not a date"],
    ["March 3, 2024", "“March 3, 2024” is not a date"],
    ["2024.03.31", "“2024.03.31” is not a date"],
    ["2024-03-31T25:00:00Z", "“2024-03-31T25:00:00Z” has an invalid time"],
    ["2024-03-31T10:00:00", "“2024-03-31T10:00:00” is not a date"],
  ])("rejects %j", (text, start) => {
    const result = parseDate(text, "past", TODAY);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(start);
  });

  it("allows warranty dates a century ahead", () => {
    expect(parseDate("2126-12-31", "warranty", TODAY)).toEqual({
      ok: true,
      value: "2126-12-31",
    });
    const late = parseDate("2127-01-01", "warranty", TODAY);
    expect(late.ok).toBe(false);
  });
});

describe("parseBoolean", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["t", true],
    ["1", true],
    ["yes", true],
    ["Yes", true],
    ["false", false],
    ["F", false],
    ["0", false],
    ["no", false],
    ["NO", false],
    ["", false],
    ["  ", false],
  ])("reads %j", (text, expected) => {
    expect(parseBoolean(text)).toEqual({ ok: true, value: expected });
  });

  it.each(["maybe", "2", "on", "-1"])("rejects %j", (text) => {
    expect(parseBoolean(text)).toEqual({
      ok: false,
      message: `“${text}” is not a yes/no value. Use true or false, yes or no, or 1 or 0.`,
    });
  });
});

describe("parseCheckboxValue", () => {
  it.each([
    ["true", true],
    ["on", true],
    ["ON", true],
    ["yes", true],
    ["1", true],
    ["t", true],
    ["false", false],
    ["off", false],
    ["Off", false],
    ["no", false],
    ["0", false],
    ["f", false],
    ["", false],
  ])("reads %j", (text, expected) => {
    expect(parseCheckboxValue(text)).toEqual({ ok: true, value: expected });
  });

  it.each(["maybe", "2", "checked", "-1"])("rejects %j", (text) => {
    expect(parseCheckboxValue(text)).toEqual({
      ok: false,
      message: `“${text}” is not a yes/no value. Tick or clear the box, or send true or false, yes or no, 1 or 0, or on or off.`,
    });
  });
});

describe("hasVisibleCharacter", () => {
  it.each([
    ["Box", "letters"],
    ["\u200BBox", "a letter after a zero-width space"],
    ["❤️", "an emoji with a variation selector"],
    [
      "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
      "a tag-sequence flag",
    ],
    ["-", "punctuation"],
  ])("accepts %j (%s)", (text) => {
    expect(hasVisibleCharacter(text)).toBe(true);
  });

  it.each([
    ["", "empty text"],
    [" \t\n", "white space"],
    ["\u00A0\u3000", "no-break and ideographic spaces"],
    ["\u200B", "zero-width space"],
    ["\u200B\u200C\u200D\u2060\uFEFF", "zero-width joiners and BOM"],
    ["\u00AD", "soft hyphen"],
    ["\u3164\uFFA0", "Hangul fillers"],
    ["\u2800", "Braille blank"],
    ["\u0007\u007F", "control characters"],
    ["\uFE0F", "a lone variation selector"],
  ])("rejects %j (%s)", (text) => {
    expect(hasVisibleCharacter(text)).toBe(false);
  });
});

describe("locationNameSchema", () => {
  const SLASH_MESSAGE =
    "Remove “/” from the name. Location paths use it to separate locations, as in “House / Garage”, so use another character, such as “-” or “|”.";

  it("rejects a slash", () => {
    const result = locationNameSchema.safeParse("Shelf 1/2");
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      SLASH_MESSAGE,
    ]);
  });

  it.each(["\u200B", " \u200B\u2060 ", "\u3164", ""])(
    "treats %j as empty",
    (name) => {
      const result = locationNameSchema.safeParse(name);
      expect(result.error?.issues.map((issue) => issue.message)).toEqual([
        "Enter a name for the location.",
      ]);
    },
  );

  it("trims and keeps other names", () => {
    expect(locationNameSchema.parse("  Shelf 1-2 ")).toBe("Shelf 1-2");
    expect(locationNameSchema.parse("Shelf ½ \\ top")).toBe("Shelf ½ \\ top");
  });

  it("uses the CSV path separator and depth", () => {
    expect(LOCATION_PATH_SEPARATOR).toBe("/");
    expect(LOCATION_MAX_DEPTH).toBe(LOCATION_PATH_MAX_DEPTH);
    expect(LOCATION_MAX_DEPTH).toBe(20);
  });
});

describe("item form names and tags", () => {
  const base = { description: "", quantity: "1", locationId: "" };

  function tagMessages(tags: string): string[] {
    const result = itemFormSchema.safeParse({ ...base, name: "Lamp", tags });
    return result.error?.issues.map((issue) => issue.message) ?? [];
  }

  it("treats an invisible item name as empty", () => {
    const result = itemFormSchema.safeParse({
      ...base,
      name: "\u200B\u200B",
      tags: "",
    });
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      "Enter a name for the item.",
    ]);
  });

  it("rejects the CSV tag separator", () => {
    expect(TAG_SEPARATOR).toBe(";");
    expect(tagMessages("garden, tools;power")).toEqual([
      "Remove “;” from the tag “tools;power”. CSV files use it to separate tags, so use a comma to make two tags, or another character such as “-”.",
    ]);
  });

  it("rejects an invisible tag", () => {
    expect(tagMessages("garden, \u200B")).toEqual([
      "A tag in the list has only invisible characters, such as zero-width spaces. Remove it or type a name.",
    ]);
  });

  // The item form and CSV import must accept the same tag lists, so an
  // exported file imports again and a form can save what import created.
  const tagCases: [string, string[]][] = [
    ["longest tag", ["t".repeat(50)]],
    ["tag one too long", ["t".repeat(51)]],
    ["most tags", Array.from({ length: 20 }, (_, index) => `tag${index}`)],
    [
      "one tag too many",
      Array.from({ length: 21 }, (_, index) => `tag${index}`),
    ],
    [
      "duplicates beyond the maximum",
      [...Array.from({ length: 20 }, (_, index) => `tag${index}`), "TAG0"],
    ],
  ];

  it.each(tagCases)("agrees with CSV import on %s", (_, tags) => {
    const form = new FormData();
    form.set("name", "Lamp");
    form.set("tags", tags.join(", "));
    const formResult = parseItemForm(form, "USD");

    const csv = `HB.location,HB.name,HB.tags\n,Lamp,"${tags.join("; ")}"\n`;
    const file = parseImportCsv(csv, { currency: "USD" });
    if (!file.ok) throw new Error(file.fileErrors.join(" "));

    expect(file.problems.length === 0).toBe(formResult.ok);
    if (formResult.ok) {
      expect(file.rows[0]!.tags).toEqual(formResult.input.tags);
    }
  });
});

describe("parseMoney", () => {
  it.each([
    ["19.99", "USD", 1999n],
    ["0.29", "USD", 29n],
    ["19.9", "USD", 1990n],
    ["19", "USD", 1900n],
    ["0", "USD", 0n],
    [".5", "USD", 50n],
    ["007.10", "USD", 710n],
    ["$19.99", "USD", 1999n],
    ["$ 19.99", "USD", 1999n],
    ["19.99$", "USD", 1999n],
    ["19.99 USD", "USD", 1999n],
    ["usd 5", "USD", 500n],
    ["1234567.89", "USD", 123456789n],
    ["999999999999.99", "USD", 99999999999999n],
    ["€5.25", "EUR", 525n],
    ["CA$5", "CAD", 500n],
    ["$5", "CAD", 500n],
    ["¥1234", "JPY", 1234n],
    ["1.234", "KWD", 1234n],
    ["", "USD", null],
  ])("reads %j in %s", (text, currency, expected) => {
    expect(parseMoney(text, currency)).toEqual({
      ok: true,
      minorUnits: expected,
    });
  });

  it.each([
    ["1,234.50", "USD", "Write the amount without thousands separators"],
    ["1.234,50", "USD", "Write the amount without thousands separators"],
    ["1,5", "USD", "Write the amount without thousands separators"],
    ["1 234", "USD", "Write the amount without thousands separators"],
    ["1'234", "USD", "Write the amount without thousands separators"],
    ["-5", "USD", "Enter an amount of 0 or more."],
    ["-$5", "USD", "Enter an amount of 0 or more."],
    ["$-5", "USD", "Enter an amount of 0 or more."],
    ["(5.00)", "USD", "Enter an amount of 0 or more."],
    ["€5", "USD", "“€” is not a symbol of the household currency USD."],
    ["£5", "EUR", "“£” is not a symbol of the household currency EUR."],
    ["19.999", "USD", "USD amounts have at most 2 decimal places."],
    ["1.5", "JPY", "JPY amounts have no decimal places."],
    ["abc", "USD", "Enter the amount as a number, such as 1234.50."],
    ["1e5", "USD", "Enter the amount as a number, such as 1234.50."],
    [".", "USD", "Enter the amount as a number, such as 1234.50."],
    ["9999999999999", "USD", "at most 12 digits before the decimal point"],
  ])("rejects %j in %s", (text, currency, message) => {
    const result = parseMoney(text, currency);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(message);
  });

  it("formats minor units as plain decimals", () => {
    expect(formatMinorUnits(1999n, "USD")).toBe("19.99");
    expect(formatMinorUnits(5n, "USD")).toBe("0.05");
    expect(formatMinorUnits(0n, "USD")).toBe("0.00");
    expect(formatMinorUnits(99999999999999n, "USD")).toBe("999999999999.99");
    expect(formatMinorUnits(1234n, "JPY")).toBe("1234");
    expect(formatMinorUnits(1234n, "KWD")).toBe("1.234");
  });

  it("formats amounts for display", () => {
    expect(formatMoney(123456n, "USD")).toBe("$1,234.56");
    expect(formatMoney(99999999999999n, "USD")).toBe("$999,999,999,999.99");
    expect(formatMoney(1234n, "JPY")).toBe("¥1,234");
  });
});

describe("parseAssetId", () => {
  it.each([
    ["000-042", 42],
    ["42", 42],
    ["000042", 42],
    ["123-456", 123456],
    ["1-234-567", 1234567],
    ["", null],
  ])("reads %j", (text, expected) => {
    expect(parseAssetId(text)).toEqual({ ok: true, value: expected });
  });

  it.each(["A-042", "-42", "42-", "4 2", "1234567890"])(
    "rejects %j",
    (text) => {
      expect(parseAssetId(text).ok).toBe(false);
    },
  );

  it("formats with a dash", () => {
    expect(formatAssetId(42)).toBe("000-042");
    expect(formatAssetId(123456)).toBe("123-456");
    expect(formatAssetId(1234567)).toBe("123-4567");
  });
});

describe("parseHttpUrl", () => {
  it("accepts http and https", () => {
    expect(parseHttpUrl(" https://example.com/drill?x=1 ")).toEqual({
      ok: true,
      value: "https://example.com/drill?x=1",
    });
    expect(parseHttpUrl("http://example.com")).toEqual({
      ok: true,
      value: "http://example.com",
    });
    expect(parseHttpUrl("")).toEqual({ ok: true, value: "" });
  });

  it.each([
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<b>x</b>",
    "ftp://example.com",
    "example.com",
  ])("rejects %j", (text) => {
    const result = parseHttpUrl(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain("is not a web address");
  });

  it("rejects a raw space", () => {
    expect(parseHttpUrl("https://example.com/a b")).toEqual({
      ok: false,
      message:
        "“https://example.com/a b” contains a space. Write spaces as %20, or remove them.",
    });
    expect(parseHttpUrl("https://example.com/a%20b")).toEqual({
      ok: true,
      value: "https://example.com/a%20b",
    });
  });

  it.each([
    ["https://example.com/a\tb", "U+0009"],
    ["https://example.com/a\nb", "U+000A"],
    ["https://example.com/a\u0007b", "U+0007"],
    ["https://example.com/a\u00A0b", "U+00A0"],
    ["https://exam\u200Bple.com/", "U+200B"],
  ])("rejects hidden character in %j", (text, code) => {
    expect(parseHttpUrl(text)).toEqual({
      ok: false,
      message: `“${text}” contains the white space, control or invisible character ${code}. Remove it, or write it percent-encoded.`,
    });
  });
});

describe("DEFAULT_CURRENCY", () => {
  it("defaults to USD", () => {
    expect(parseEnv({}).DEFAULT_CURRENCY).toBe("USD");
  });

  it("upper-cases a known code", () => {
    expect(parseEnv({ DEFAULT_CURRENCY: " eur " }).DEFAULT_CURRENCY).toBe(
      "EUR",
    );
  });

  it.each(["EURO", "XYZ", "$"])("rejects %j", (value) => {
    expect(() => parseEnv({ DEFAULT_CURRENCY: value })).toThrow(ConfigError);
    expect(() => parseEnv({ DEFAULT_CURRENCY: value })).toThrow(
      `DEFAULT_CURRENCY: "${value}" is not an ISO 4217 currency code`,
    );
  });
});

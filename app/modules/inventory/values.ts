// Parsers for item detail values, shared by the item form and CSV import so
// both accept the same spellings and reject the same mistakes.

/** The result of reading one value: the value, or a message for the user. */
export type ValueResult<T> =
  { ok: true; value: T } | { ok: false; message: string };

/** Earliest year accepted in any item date. */
export const DATE_MIN_YEAR = 1900;

/**
 * The latest date each kind of item date may have, as years after the
 * current one: purchases and sales up to the end of next year, warranty
 * expiry up to 100 years ahead.
 */
export const DATE_YEARS_AHEAD = { past: 1, warranty: 100 } as const;

/** The plausibility limit that applies to a date. */
export type DateKind = keyof typeof DATE_YEARS_AHEAD;

const DATE_FORMATS_HINT =
  "Use YYYY-MM-DD, MM/DD/YYYY or YYYY/MM/DD, such as 2024-03-31";

const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function pad(value: number, length: number): string {
  return String(value).padStart(length, "0");
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Splits the date formats the parsers accept into year, month and day. */
function matchDateParts(
  text: string,
): { year: number; month: number; day: number } | "time" | null {
  let match = text.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (match) return { year: +match[1]!, month: +match[2]!, day: +match[3]! };
  match = text.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/);
  if (match) return { year: +match[3]!, month: +match[1]!, day: +match[2]! };
  match = text.match(/^(\d{4})\/(\d{1,2})\/(\d{1,2})$/);
  if (match) return { year: +match[1]!, month: +match[2]!, day: +match[3]! };
  match = text.match(RFC_3339);
  if (match) {
    const [hour, minute, second] = [+match[4]!, +match[5]!, +match[6]!];
    const offsetHours = match[8] === undefined ? 0 : +match[8];
    const offsetMinutes = match[9] === undefined ? 0 : +match[9];
    // Second 60 is a leap second, which RFC 3339 allows.
    if (
      hour > 23 ||
      minute > 59 ||
      second > 60 ||
      offsetHours > 23 ||
      offsetMinutes > 59
    ) {
      return "time";
    }
    return { year: +match[1]!, month: +match[2]!, day: +match[3]! };
  }
  return null;
}

/**
 * Parses a calendar date written as YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD or an
 * RFC 3339 timestamp, and returns it as YYYY-MM-DD, or null for empty text.
 * A timestamp keeps the date written in it, whatever its offset. Years
 * before DATE_MIN_YEAR and dates after the limit of `kind` relative to
 * `today` are rejected, because they are typing mistakes such as "202".
 */
export function parseDate(
  text: string,
  kind: DateKind,
  today: Date = new Date(),
): ValueResult<string | null> {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: null };

  const parts = matchDateParts(trimmed);
  if (parts === "time") {
    return {
      ok: false,
      message: `“${trimmed}” has an invalid time or offset. ${DATE_FORMATS_HINT}.`,
    };
  }
  if (!parts) {
    const twoDigitYear = /^\d{1,2}\/\d{1,2}\/\d{2}$/.test(trimmed);
    return {
      ok: false,
      message: twoDigitYear
        ? `“${trimmed}” has a two-digit year. Write the year with four digits, as in MM/DD/YYYY.`
        : `“${trimmed}” is not a date. ${DATE_FORMATS_HINT}.`,
    };
  }

  const { year, month, day } = parts;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return {
      ok: false,
      message: `“${trimmed}” is not a calendar date. Check the month and day; MM/DD/YYYY puts the month first.`,
    };
  }
  const value = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  if (year < DATE_MIN_YEAR) {
    return {
      ok: false,
      message: `The year ${pad(year, 4)} is before ${DATE_MIN_YEAR}. Check the year for a missing digit.`,
    };
  }
  const lastYear = today.getUTCFullYear() + DATE_YEARS_AHEAD[kind];
  if (year > lastYear) {
    return {
      ok: false,
      message:
        kind === "past"
          ? `${value} is after the end of ${lastYear}. Enter a date that has happened, or will by next year.`
          : `${value} is after the end of ${lastYear}. Enter a date within ${DATE_YEARS_AHEAD.warranty} years, or mark a lifetime warranty instead.`,
    };
  }
  return { ok: true, value };
}

/** Returns the latest date a field of `kind` accepts, as YYYY-MM-DD. */
export function latestDate(kind: DateKind, today: Date = new Date()): string {
  return `${today.getUTCFullYear() + DATE_YEARS_AHEAD[kind]}-12-31`;
}

/** Formats a date-only database value as YYYY-MM-DD. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Converts YYYY-MM-DD to the UTC midnight Date that Prisma stores as DATE. */
export function toDateValue(value: string | null): Date | null {
  return value === null ? null : new Date(`${value}T00:00:00.000Z`);
}

const TRUE_WORDS = new Set(["true", "t", "1", "yes", "y"]);
const FALSE_WORDS = new Set(["false", "f", "0", "no", "n"]);

/**
 * Parses true/false, t/f, 1/0, yes/no or y/n, ignoring case. Empty text is
 * false, the default of every yes/no detail.
 */
export function parseBoolean(text: string): ValueResult<boolean> {
  const word = text.trim().toLowerCase();
  if (word === "" || FALSE_WORDS.has(word)) return { ok: true, value: false };
  if (TRUE_WORDS.has(word)) return { ok: true, value: true };
  return {
    ok: false,
    message: `“${text.trim()}” is not a yes/no value. Use true or false, yes or no, or 1 or 0.`,
  };
}

/**
 * Parses the value an item form sends for a yes/no detail. A ticked
 * checkbox sends its value attribute, "true" on our forms or "on" when the
 * attribute is missing, and a cleared one sends nothing, so empty text is
 * false. The words of parseBoolean and "off" are accepted too, so a script
 * may post insured=no or insured=0. Any other text is an error, because
 * storing it as true would record the opposite of what was meant.
 */
export function parseCheckboxValue(text: string): ValueResult<boolean> {
  const word = text.trim().toLowerCase();
  if (word === "on") return { ok: true, value: true };
  if (word === "off") return { ok: true, value: false };
  const parsed = parseBoolean(word);
  if (parsed.ok) return parsed;
  return {
    ok: false,
    message: `“${text.trim().slice(0, 40)}” is not a yes/no value. Tick or clear the box, or send true or false, yes or no, 1 or 0, or on or off.`,
  };
}

// Invisible characters are white space, control and format characters
// (such as U+200B ZERO WIDTH SPACE) and the other Default_Ignorable code
// points (such as U+3164 HANGUL FILLER). U+2800 BRAILLE PATTERN BLANK
// counts too, because fonts draw it as an empty cell.
const VISIBLE_CHARACTER =
  /[^\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;

/**
 * Returns whether text contains at least one character that renders as
 * something, so a name made only of spaces and zero-width characters
 * counts as empty.
 */
export function hasVisibleCharacter(text: string): boolean {
  return VISIBLE_CHARACTER.test(text);
}

/** Largest asset ID, so the number fits a PostgreSQL integer. */
export const ASSET_ID_MAX = 999_999_999;

/**
 * Parses an asset ID such as "000-042", "42" or "000042" into its number, or
 * null for empty text. Dashes between digits are ignored.
 */
export function parseAssetId(text: string): ValueResult<number | null> {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: null };
  if (!/^\d+(?:-\d+)*$/.test(trimmed)) {
    return {
      ok: false,
      message: `“${trimmed}” is not an asset ID. Use digits with an optional dash, such as 000-042.`,
    };
  }
  const digits = trimmed.replaceAll("-", "").replace(/^0+(?=\d)/, "");
  if (digits.length > String(ASSET_ID_MAX).length || +digits > ASSET_ID_MAX) {
    return {
      ok: false,
      message: `Asset ID ${trimmed} is too large. Use a number up to ${ASSET_ID_MAX}.`,
    };
  }
  return { ok: true, value: +digits };
}

/**
 * Formats an asset ID as six or more zero-padded digits with a dash after
 * the third, such as 000-042, the form Homebox uses.
 */
export function formatAssetId(assetId: number): string {
  const digits = pad(assetId, 6);
  return `${digits.slice(0, 3)}-${digits.slice(3)}`;
}

/** Maximum length of an item URL. */
export const URL_MAX_LENGTH = 2048;

/**
 * Parses an absolute http(s) URL, or empty text. Other schemes, such as
 * javascript:, are rejected because item pages render the URL as a link.
 * So are white space, control and format characters inside the URL,
 * because no valid URL contains them unencoded.
 */
export function parseHttpUrl(text: string): ValueResult<string> {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: "" };
  if (trimmed.length > URL_MAX_LENGTH) {
    return {
      ok: false,
      message: `Shorten the URL to at most ${URL_MAX_LENGTH} characters.`,
    };
  }
  const hidden = trimmed.match(/[\s\p{Cc}\p{Cf}]/u);
  if (hidden) {
    const character = hidden[0].codePointAt(0)!;
    const code = `U+${character.toString(16).toUpperCase().padStart(4, "0")}`;
    return {
      ok: false,
      message:
        hidden[0] === " "
          ? `“${trimmed.slice(0, 80)}” contains a space. Write spaces as %20, or remove them.`
          : `“${trimmed.slice(0, 80)}” contains the white space, control or invisible character ${code}. Remove it, or write it percent-encoded.`,
    };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return {
      ok: false,
      message: `“${trimmed.slice(0, 80)}” is not a web address. Enter a full URL that starts with https:// or http://.`,
    };
  }
  return { ok: true, value: trimmed };
}

/** Returns whether a stored URL may be rendered as a link. */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

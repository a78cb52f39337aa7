// Money amounts are stored as integers of the currency's minor unit (cents
// for USD, yen for JPY) and parsed from text without floating point, so
// "19.99" is exactly 1999.

/** Maximum number of digits before the decimal point of an amount. */
export const MONEY_MAX_INTEGER_DIGITS = 12;

/** The result of reading an amount: minor units, or null for an empty entry. */
export type MoneyParseResult =
  { ok: true; minorUnits: bigint | null } | { ok: false; message: string };

/** Intl data of one currency, cached because building formatters is slow. */
type CurrencyInfo = {
  exponent: number;
  /** Symbols and code that may mark an amount, longest first. */
  markers: string[];
  display: Intl.NumberFormat;
};

const currencyInfoCache = new Map<string, CurrencyInfo>();

function currencyInfo(currency: string): CurrencyInfo {
  const cached = currencyInfoCache.get(currency);
  if (cached) return cached;
  const display = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency,
  });
  // USD has the markers "USD" and "$", and CAD has "CA$", "CAD" and "$".
  const markers = new Set<string>([currency]);
  for (const currencyDisplay of ["symbol", "narrowSymbol"] as const) {
    const parts = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency,
      currencyDisplay,
    }).formatToParts(1);
    const symbol = parts.find((part) => part.type === "currency")?.value;
    if (symbol) markers.add(symbol);
  }
  const info = {
    exponent: display.resolvedOptions().maximumFractionDigits!,
    markers: [...markers].sort((a, b) => b.length - a.length),
    display,
  };
  currencyInfoCache.set(currency, info);
  return info;
}

/**
 * Returns the number of decimal places of an ISO 4217 currency, from the
 * runtime's Intl data: 2 for USD, 0 for JPY, 3 for KWD.
 */
export function currencyExponent(currency: string): number {
  return currencyInfo(currency).exponent;
}

/** Removes one currency marker of `currency` at the start or end of `text`. */
function stripCurrencyMarker(text: string, currency: string): string {
  const upper = text.toUpperCase();
  for (const marker of currencyInfo(currency).markers) {
    const key = marker.toUpperCase();
    if (upper.startsWith(key)) return text.slice(marker.length).trim();
    if (upper.endsWith(key)) {
      return text.slice(0, text.length - marker.length).trim();
    }
  }
  return text;
}

/**
 * Parses an amount such as "19.99", "$19.99" or "19.99 USD" into minor units
 * of `currency`. Empty text is null. Negative amounts, symbols of other
 * currencies and more decimal places than the currency has are rejected.
 * So are thousands separators and decimal commas, because "1,234" and
 * "1.234,50" are ambiguous, and more than MONEY_MAX_INTEGER_DIGITS digits
 * before the point. Each message explains how to write the amount.
 */
export function parseMoney(text: string, currency: string): MoneyParseResult {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, minorUnits: null };

  // Accounting notation writes negative amounts in brackets.
  const negative = /^[-−(]/;
  if (negative.test(trimmed)) {
    return { ok: false, message: "Enter an amount of 0 or more." };
  }
  const bare = stripCurrencyMarker(trimmed, currency);
  if (negative.test(bare)) {
    return { ok: false, message: "Enter an amount of 0 or more." };
  }
  const foreignSymbol = bare.match(/\p{Sc}/u);
  if (foreignSymbol) {
    return {
      ok: false,
      message: `“${foreignSymbol[0]}” is not a symbol of the household currency ${currency}. Enter the amount in ${currency}.`,
    };
  }

  const exponent = currencyExponent(currency);
  const example = exponent > 0 ? "1234.50" : "1234";
  if (/[,\s']/.test(bare)) {
    return {
      ok: false,
      message: `Write the amount without thousands separators and with a point before the decimals, such as ${example}.`,
    };
  }
  const match = bare.match(/^\+?(\d*)(?:\.(\d*))?$/);
  if (!match || (match[1] === "" && !match[2])) {
    return {
      ok: false,
      message: `Enter the amount as a number, such as ${example}.`,
    };
  }

  const integerDigits = match[1]!.replace(/^0+(?=\d)/, "");
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) {
    return {
      ok: false,
      message:
        exponent === 0
          ? `${currency} amounts have no decimal places. Enter a whole number.`
          : `${currency} amounts have at most ${exponent} decimal places.`,
    };
  }
  if (integerDigits.length > MONEY_MAX_INTEGER_DIGITS) {
    return {
      ok: false,
      message: `Enter an amount with at most ${MONEY_MAX_INTEGER_DIGITS} digits before the decimal point.`,
    };
  }
  const scale = 10n ** BigInt(exponent);
  const minorUnits =
    BigInt(integerDigits || "0") * scale +
    BigInt(fraction.padEnd(exponent, "0") || "0");
  return { ok: true, minorUnits };
}

/**
 * Formats minor units as a plain decimal with the currency's decimal places
 * and no symbol or separators, such as "1234.50", the form CSV files use.
 */
export function formatMinorUnits(minorUnits: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minorUnits < 0n;
  const digits = (negative ? -minorUnits : minorUnits)
    .toString()
    .padStart(exponent + 1, "0");
  const sign = negative ? "-" : "";
  if (exponent === 0) return `${sign}${digits}`;
  const split = digits.length - exponent;
  return `${sign}${digits.slice(0, split)}.${digits.slice(split)}`;
}

/** Formats minor units for display, such as "$1,234.50" or "¥1,234". */
export function formatMoney(minorUnits: bigint, currency: string): string {
  const decimal = formatMinorUnits(minorUnits, currency);
  return currencyInfo(currency).display.format(decimal as `${number}`);
}

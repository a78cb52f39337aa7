/** One CSP violation, reduced to the fields that are safe and useful to log. */
export type CspViolation = {
  documentUrl: string | null;
  blockedUrl: string | null;
  effectiveDirective: string | null;
  disposition: string | null;
  sourceFile: string | null;
  lineNumber: number | null;
  columnNumber: number | null;
};

/** Reports beyond this many in one request are ignored. */
export const MAX_REPORTS_PER_REQUEST = 20;
const MAX_FIELD_LENGTH = 200;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readString(value: unknown): string | null {
  return typeof value === "string" && value !== ""
    ? value.slice(0, MAX_FIELD_LENGTH)
    : null;
}

function readNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * Returns a URL without its query string and fragment, which may carry
 * tokens. Keywords such as "inline" or "eval" are returned unchanged.
 */
function readUrl(value: unknown): string | null {
  const text = readString(value);
  if (text === null) return null;
  try {
    const url = new URL(text);
    if (url.protocol === "http:" || url.protocol === "https:") {
      return `${url.origin}${url.pathname}`.slice(0, MAX_FIELD_LENGTH);
    }
    return url.protocol;
  } catch {
    return text;
  }
}

/**
 * Parses a body of type application/csp-report, sent for the report-uri
 * directive: `{ "csp-report": { "document-uri": …, … } }`. Returns null
 * when the body has another shape.
 */
export function parseCspReportBody(body: unknown): CspViolation[] | null {
  if (!isRecord(body) || !isRecord(body["csp-report"])) return null;
  const report = body["csp-report"];
  return [
    {
      documentUrl: readUrl(report["document-uri"]),
      blockedUrl: readUrl(report["blocked-uri"]),
      effectiveDirective: readString(
        report["effective-directive"] ?? report["violated-directive"],
      ),
      disposition: readString(report["disposition"]),
      sourceFile: readUrl(report["source-file"]),
      lineNumber: readNumber(report["line-number"]),
      columnNumber: readNumber(report["column-number"]),
    },
  ];
}

/**
 * Parses a body of type application/reports+json, sent by the Reporting API
 * for the report-to directive: an array of `{ type, url, body }` reports.
 * Returns the "csp-violation" reports, or null when the body is not an
 * array of objects.
 */
export function parseReportingApiBody(body: unknown): CspViolation[] | null {
  if (!Array.isArray(body) || !body.every(isRecord)) return null;
  return body
    .slice(0, MAX_REPORTS_PER_REQUEST)
    .filter((report) => report.type === "csp-violation")
    .map((report) => {
      const details = isRecord(report.body) ? report.body : {};
      return {
        documentUrl: readUrl(details.documentURL ?? report.url),
        blockedUrl: readUrl(details.blockedURL),
        effectiveDirective: readString(details.effectiveDirective),
        disposition: readString(details.disposition),
        sourceFile: readUrl(details.sourceFile),
        lineNumber: readNumber(details.lineNumber),
        columnNumber: readNumber(details.columnNumber),
      };
    });
}

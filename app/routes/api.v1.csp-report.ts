import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";

import {
  apiError,
  handleApiErrors,
  methodNotAllowed,
  readBodyText,
  requireContentType,
  requireMethod,
} from "~/utils/api.server";
import type { CspViolation } from "~/utils/csp-report.server";
import {
  parseCspReportBody,
  parseReportingApiBody,
} from "~/utils/csp-report.server";
import { LogRateLimiter } from "~/utils/log-rate-limit.server";
import { logger } from "~/utils/logger.server";
import { singleton } from "~/utils/singleton.server";

const ALLOWED_METHODS = ["POST"];
const REPORT_TYPES = ["application/csp-report", "application/reports+json"];
const MAX_BODY_BYTES = 16 * 1024;

/** Logs at most 100 violation lines a minute per process and counts the rest. */
const logLimiter = singleton(
  "cspReportLogLimiter",
  () => new LogRateLimiter(100, 60_000),
);

function logViolation(violation: CspViolation): void {
  const suppressed = logLimiter.take();
  if (suppressed === null) return;
  logger.warn(
    {
      event: "csp.violation",
      ...violation,
      ...(suppressed > 0 ? { suppressed } : {}),
    },
    "Content-Security-Policy violation reported",
  );
}

export function loader({ request, context }: LoaderFunctionArgs) {
  return methodNotAllowed(request, ALLOWED_METHODS, context);
}

/**
 * Receives CSP violation reports from browsers, logs each at warn level and
 * returns 204. Exempt from the origin check in server/request-origin.ts.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  return handleApiErrors(context, async () => {
    requireMethod(request, ALLOWED_METHODS, context);
    const mediaType = requireContentType(request, REPORT_TYPES, context);
    const text = await readBodyText(request, MAX_BODY_BYTES, context);

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return apiError(400, "The body is not valid JSON.", context);
    }
    const violations =
      mediaType === "application/csp-report"
        ? parseCspReportBody(body)
        : parseReportingApiBody(body);
    if (violations === null) {
      return apiError(400, `The body is not a ${mediaType} report.`, context);
    }
    violations.forEach(logViolation);
    return new Response(null, { status: 204 });
  });
}

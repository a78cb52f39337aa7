import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";

import { getPasswordPolicy } from "~/modules/accounts/password.server";
import {
  handleApiErrors,
  methodNotAllowed,
  readBodyText,
  requireContentType,
  requireMethod,
} from "~/utils/api.server";
import {
  evaluatePassword,
  loadStrengthEstimator,
} from "~/utils/password-policy";

/** Generous for three short strings; larger bodies are rejected unread. */
const MAX_BODY_BYTES = 4_096;
/** zxcvbn analyses at most 256 characters, so longer input gains nothing. */
const PASSWORD_MAX_LENGTH = 256;

const requestSchema = z.object({
  password: z
    .string({
      required_error: "is required",
      invalid_type_error: "must be a string",
    })
    .max(
      PASSWORD_MAX_LENGTH,
      `must be at most ${PASSWORD_MAX_LENGTH} characters`,
    ),
  email: z
    .string({ invalid_type_error: "must be a string" })
    .max(254, "must be at most 254 characters")
    .optional(),
  name: z
    .string({ invalid_type_error: "must be a string" })
    .max(100, "must be at most 100 characters")
    .optional(),
});

function badRequest(field: string, problem: string, requestId: string) {
  return Response.json(
    { error: `${field} ${problem}`, field, requestId },
    { status: 400 },
  );
}

export function loader({ request, context }: LoaderFunctionArgs) {
  return methodNotAllowed(request, ["POST"], context);
}

/**
 * POST /api/v1/auth/password-strength with JSON `{ password, email?, name? }`
 * returns `{ score, label, rules: [{ id, met }], suggestions }` under the
 * configured policy. The password is never logged or stored.
 */
export function action({ request, context }: ActionFunctionArgs) {
  return handleApiErrors(context, async () => {
    requireMethod(request, ["POST"], context);
    requireContentType(request, ["application/json"], context);
    const text = await readBodyText(request, MAX_BODY_BYTES, context);

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return badRequest("body", "is not valid JSON", context.requestId);
    }
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? "body");
      const problem =
        issue.path.length === 0 ? "must be a JSON object" : issue.message;
      return badRequest(field, problem, context.requestId);
    }

    const evaluation = evaluatePassword(parsed.data.password, {
      policy: getPasswordPolicy(),
      context: { email: parsed.data.email, name: parsed.data.name },
      estimator: await loadStrengthEstimator(),
    });
    return Response.json({
      score: evaluation.score,
      label: evaluation.label,
      rules: evaluation.rules.map((rule) => ({ id: rule.id, met: rule.met })),
      suggestions: evaluation.suggestions,
    });
  });
}

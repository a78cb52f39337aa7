import type {
  ActionFunctionArgs,
  HeadersFunction,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";

import { CsrfInput, Field } from "~/components/forms";
import { requestPasswordReset } from "~/modules/accounts/password-reset.server";
import { checkThrottle } from "~/modules/security/throttle.server";
import { emailSchema } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Reset password · Dokodo" }];

/** Passes the action's Retry-After on to document responses. */
export const headers: HeadersFunction = ({ actionHeaders }) => actionHeaders;

/**
 * Starts a reset. Every well-formed address gets the same page with the
 * same status, and the lookup runs after the response, so neither content
 * nor timing reveals whether the address has an account.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readCheckedForm(request);
  const email = emailSchema.safeParse(formData.get("email") ?? undefined);
  if (!email.success) {
    return data(
      {
        sent: false as const,
        email: String(formData.get("email") ?? ""),
        errors: email.error.issues.map((issue) => issue.message),
      },
      { status: 400 },
    );
  }
  // Keyed on the submitted address, known or not, so a 429 reveals nothing.
  const decision = await checkThrottle(
    "password-reset-email",
    email.data,
    request,
  );
  if (!decision.allowed) {
    return data(
      {
        sent: false as const,
        email: email.data,
        errors: [
          `Too many reset requests for this address. Try again in ${Math.ceil(decision.retryAfterSeconds / 60)} minutes.`,
        ],
      },
      {
        status: 429,
        headers: { "Retry-After": String(decision.retryAfterSeconds) },
      },
    );
  }
  requestPasswordReset(email.data, getRequestInfo(request, context));
  return data({ sent: true as const, email: email.data, errors: null });
}

export default function ForgotPasswordPage() {
  const actionData = useActionData<typeof action>();

  if (actionData?.sent) {
    return (
      <div className="card mx-auto max-w-md space-y-4">
        <h1 className="text-2xl font-semibold">Check your inbox</h1>
        <p role="status" className="text-slate-700">
          {`If an account uses ${actionData.email}, we sent it a link to choose a new password. The link works once, for 1 hour.`}
        </p>
        <Link to="/login" className="link">
          Back to sign in
        </Link>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-semibold">Reset your password</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <p className="text-sm text-slate-700">
          Enter the address of your account and we will send you a link to
          choose a new password.
        </p>
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={actionData?.email}
          errors={actionData?.errors}
        />
        <button type="submit" className="btn-primary w-full">
          Send reset link
        </button>
      </Form>
      <p className="mt-4 text-sm text-slate-600">
        Remembered it?{" "}
        <Link to="/login" className="link">
          Sign in
        </Link>
      </p>
    </div>
  );
}

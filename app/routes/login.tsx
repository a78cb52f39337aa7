import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useSearchParams } from "@remix-run/react";

import { CsrfInput, Field, FormError } from "~/components/forms";
import { recordAuditEvent } from "~/utils/audit.server";
import {
  authenticator,
  InvalidCredentialsError,
  requireAnonymous,
} from "~/utils/auth.server";
import { validateCsrf } from "~/utils/csrf.server";
import { getRequestInfo } from "~/utils/request-context.server";
import { safeRedirect } from "~/utils/redirect";
import { createSession, destroySession } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Sign in · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.clone().formData();
  await validateCsrf(formData, request);
  const info = getRequestInfo(request, context);
  const redirectTo = safeRedirect(formData.get("redirectTo"), "/items");

  let user: { id: string };
  try {
    user = await authenticator.authenticate("form", request);
  } catch (error) {
    if (!(error instanceof InvalidCredentialsError)) throw error;
    await recordAuditEvent(
      {
        action: "SIGN_IN_FAILED",
        actorId: null,
        targetType: "User",
        targetId: error.userId ?? undefined,
      },
      info,
    );
    return data(
      {
        formError: error.message,
        values: { email: String(formData.get("email") ?? "") },
      },
      { status: 400 },
    );
  }

  // A fresh token on every sign-in: any session the browser already carried
  // is deleted, so a planted cookie never becomes an authenticated one.
  await destroySession(request);
  const sessionCookie = await createSession(user.id, info);
  await recordAuditEvent(
    { action: "SIGN_IN_SUCCEEDED", actorId: user.id, targetType: "User", targetId: user.id },
    info,
  );
  return redirect(redirectTo, { headers: { "Set-Cookie": sessionCookie } });
}

export default function LoginPage() {
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get("redirectTo") ?? "";

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-semibold">Sign in</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <FormError message={actionData?.formError} />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={actionData?.values.email}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        <button type="submit" className="btn-primary w-full">
          Sign in
        </button>
      </Form>
      <p className="mt-4 text-sm text-slate-600">
        New to Dokodo?{" "}
        <Link to="/register" className="link">
          Create an account
        </Link>
      </p>
    </div>
  );
}

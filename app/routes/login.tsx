import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import {
  Form,
  Link,
  useActionData,
  useLoaderData,
  useSearchParams,
} from "@remix-run/react";

import { CsrfInput, Field, FormError } from "~/components/forms";
import { HoneypotFields } from "~/components/honeypot";
import { checkSignInDevice } from "~/modules/security/known-devices.server";
import { authenticatePassword } from "~/modules/security/sign-in.server";
import { startSignInChallenge } from "~/modules/two-factor/challenge.server";
import { isTwoFactorEnabled } from "~/modules/two-factor/two-factor.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { InvalidCredentialsError, requireAnonymous } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { checkHoneypot, getHoneypotInputProps } from "~/utils/honeypot.server";
import { getRequestInfo } from "~/utils/request-context.server";
import { safeRedirect } from "~/utils/redirect";
import { createSession, destroySession } from "~/utils/session.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Sign in · Dokodo" }];

/** Notices that other pages send here with ?notice=…, by key. */
const NOTICES: Record<string, string> = {
  "two-factor-expired":
    "Your sign-in timed out before a code was entered. Sign in again.",
  "two-factor-attempts":
    "Too many incorrect codes were entered. Sign in again to get new attempts.",
};

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  const noticeKey = new URL(request.url).searchParams.get("notice") ?? "";
  return {
    honeypot: getHoneypotInputProps(),
    notice: NOTICES[noticeKey] ?? null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  // remix-auth reads the body again, so this reads a copy.
  const formData = await readCheckedForm(request.clone());
  checkHoneypot(formData, request);
  const info = getRequestInfo(request, context);
  const redirectTo = safeRedirect(formData.get("redirectTo"), "/items");

  let user: { id: string };
  try {
    user = await authenticatePassword(request, formData, info);
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

  // With two-step sign-in the password only starts a challenge: no session
  // exists until /login/2fa accepts a code.
  if (await isTwoFactorEnabled(user.id)) {
    const headers = new Headers();
    headers.append("Set-Cookie", await destroySession(request));
    headers.append(
      "Set-Cookie",
      await startSignInChallenge(user.id, redirectTo),
    );
    return redirect("/login/2fa", { headers });
  }

  // A fresh token on every sign-in: any session the browser already carried
  // is deleted, so a planted cookie never becomes an authenticated one.
  await destroySession(request);
  const sessionCookie = await createSession(user.id, info);
  checkSignInDevice(user.id, info);
  await recordAuditEvent(
    {
      action: "SIGN_IN_SUCCEEDED",
      actorId: user.id,
      targetType: "User",
      targetId: user.id,
    },
    info,
  );
  return redirect(redirectTo, { headers: { "Set-Cookie": sessionCookie } });
}

export default function LoginPage() {
  const { honeypot, notice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get("redirectTo") ?? "";

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-semibold">Sign in</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <HoneypotFields inputProps={honeypot} />
        {notice && !actionData ? (
          <p
            role="status"
            className="rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
          >
            {notice}
          </p>
        ) : null}
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
        <p className="text-sm">
          <Link to="/forgot-password" className="link">
            Forgot your password?
          </Link>
        </p>
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

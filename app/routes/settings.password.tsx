import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, Field } from "~/components/forms";
import { PasswordField } from "~/components/password-field";
import {
  changePassword,
  WRONG_PASSWORD_MESSAGE,
} from "~/modules/accounts/account-settings.server";
import { getPasswordPolicy } from "~/modules/accounts/password.server";
import { requireSession } from "~/modules/accounts/sessions.server";
import { requireUserId } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Password · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const userId = await requireUserId(request);
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: { email: true, name: true },
  });
  return { ...user, passwordPolicy: getPasswordPolicy() };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request);
  const formData = await readCheckedForm(request);

  const result = await changePassword(
    {
      userId: session.userId,
      sessionId: session.sessionId,
      currentPassword: formData.get("currentPassword"),
      newPassword: formData.get("newPassword"),
    },
    getRequestInfo(request, context),
  );
  if (result.status === "wrong-password") {
    const errors: FieldErrors = { currentPassword: [WRONG_PASSWORD_MESSAGE] };
    return data({ errors, message: null }, { status: 400 });
  }
  if (result.status === "rejected") {
    const errors: FieldErrors = { newPassword: result.errors };
    return data({ errors, message: null }, { status: 400 });
  }
  const others =
    result.revokedSessions === 1
      ? "1 other session was"
      : `${result.revokedSessions} other sessions were`;
  return data({
    errors: null,
    message: `Your password was changed. ${others} signed out; this one stays signed in.`,
  });
}

export default function PasswordSettingsPage() {
  const user = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;

  return (
    <section aria-labelledby="password-heading" className="space-y-4">
      <h2 id="password-heading" className="text-xl font-semibold">
        Password
      </h2>
      {actionData?.message ? (
        <p
          role="status"
          className="rounded-md border border-teal-200 bg-teal-50 px-4 py-3 text-sm text-teal-900"
        >
          {actionData.message}
        </p>
      ) : null}
      {/* A new key remounts the form, so a successful change clears it. */}
      <Form
        key={actionData?.message ?? "form"}
        method="post"
        className="card space-y-4"
        noValidate
      >
        <CsrfInput />
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          required
          errors={errors?.currentPassword}
        />
        <PasswordField
          label="New password"
          name="newPassword"
          policy={user.passwordPolicy}
          errors={errors?.newPassword}
          context={{ email: user.email, name: user.name }}
        />
        <p className="text-sm text-slate-600">
          Changing your password signs out every other device.{" "}
          <Link to="/forgot-password" className="link">
            Forgot your current password?
          </Link>
        </p>
        <button type="submit" className="btn-primary">
          Change password
        </button>
      </Form>
    </section>
  );
}

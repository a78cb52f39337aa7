import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, FormError } from "~/components/forms";
import { PasswordField } from "~/components/password-field";
import { getPasswordPolicy } from "~/modules/accounts/password.server";
import { resetPassword } from "~/modules/accounts/password-reset.server";
import { findLiveToken, tokenSchema } from "~/modules/accounts/tokens.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { prisma } from "~/utils/db.server";
import { getRequestInfo } from "~/utils/request-context.server";
import { destroySession } from "~/utils/session.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

// The URL carries the token, so no page loaded from here may receive it in
// a Referer header.
export const meta: MetaFunction = () => [
  { title: "Choose a new password · Dokodo" },
  { name: "referrer", content: "no-referrer" },
];

const INVALID_LINK_MESSAGE =
  "This reset link is invalid, expired, already used or replaced by a newer one. Ask for a new link.";

export async function loader({ request }: LoaderFunctionArgs) {
  const param = new URL(request.url).searchParams.get("token");
  // The form posts to /reset-password without the token in the URL, and
  // Remix runs this loader after the action. Returning 200 here keeps the
  // action's status as the response status.
  if (param === null) {
    return data({ valid: false as const, message: INVALID_LINK_MESSAGE });
  }
  const token = tokenSchema.safeParse(param);
  const row = token.success
    ? await findLiveToken(prisma, token.data, ["RESET_PASSWORD"])
    : null;
  const user = row
    ? await prisma.user.findUnique({
        where: { id: row.userId },
        select: { email: true, name: true },
      })
    : null;
  if (!token.success || !user) {
    return data(
      { valid: false as const, message: INVALID_LINK_MESSAGE },
      { status: 400 },
    );
  }
  return data({
    valid: true as const,
    token: token.data,
    email: user.email,
    name: user.name,
    passwordPolicy: getPasswordPolicy(),
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readCheckedForm(request);
  const token = tokenSchema.safeParse(formData.get("token") ?? undefined);
  if (!token.success) {
    return data(
      {
        status: "invalid" as const,
        message: INVALID_LINK_MESSAGE,
        errors: null,
      },
      { status: 400 },
    );
  }

  const result = await resetPassword(
    token.data,
    formData.get("newPassword"),
    getRequestInfo(request, context),
  );
  if (result.status === "invalid") {
    return data(
      {
        status: "invalid" as const,
        message: INVALID_LINK_MESSAGE,
        errors: null,
      },
      { status: 400 },
    );
  }
  if (result.status === "rejected") {
    return data(
      { status: "rejected" as const, message: null, errors: result.errors },
      { status: 400 },
    );
  }
  // Every session of the account is gone; clear this browser's cookie too.
  return data(
    { status: "reset" as const, message: null, errors: null },
    { headers: { "Set-Cookie": await destroySession(request) } },
  );
}

export default function ResetPasswordPage() {
  const page = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();

  if (actionData?.status === "reset") {
    return (
      <div className="card mx-auto max-w-md space-y-4">
        <h1 className="text-2xl font-semibold">Password changed</h1>
        <p role="status" className="text-slate-700">
          Your password was changed and every device was signed out. Sign in
          with your new password.
        </p>
        <Link to="/login" className="btn-primary">
          Sign in
        </Link>
      </div>
    );
  }

  if (!page.valid || actionData?.status === "invalid") {
    return (
      <div className="card mx-auto max-w-md space-y-4">
        <h1 className="text-2xl font-semibold">Link not usable</h1>
        <FormError
          message={actionData?.message ?? (page.valid ? null : page.message)}
        />
        <Link to="/forgot-password" className="link">
          Ask for a new reset link
        </Link>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-semibold">Choose a new password</h1>
      <Form
        method="post"
        action="/reset-password"
        className="card space-y-4"
        noValidate
      >
        <CsrfInput />
        <input type="hidden" name="token" value={page.token} />
        <p className="text-sm text-slate-700">
          {`For the account ${page.email}. Every device signed in to it will be signed out.`}
        </p>
        <PasswordField
          label="New password"
          name="newPassword"
          policy={page.passwordPolicy}
          errors={actionData?.errors}
          context={{ email: page.email, name: page.name }}
        />
        <button type="submit" className="btn-primary w-full">
          Change password
        </button>
      </Form>
    </div>
  );
}

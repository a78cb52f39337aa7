import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";

import { CsrfInput, Field, FormError } from "~/components/forms";
import {
  EMAIL_CHANGE_LIMIT,
  getPendingEmailChange,
  updateProfile,
  WRONG_PASSWORD_MESSAGE,
} from "~/modules/accounts/account-settings.server";
import { emailSchema, requireUserId } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import { keepValues, toFieldErrors } from "~/utils/forms";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Profile · Dokodo" }];

const profileSchema = z.object({
  name: z
    .string({ required_error: "Enter your name." })
    .trim()
    .min(1, "Enter your name.")
    .max(100, "Use a name of at most 100 characters."),
  email: emailSchema,
  password: z.string().max(1024).optional(),
});

export async function loader({ request }: LoaderFunctionArgs) {
  const userId = await requireUserId(request);
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: { name: true, email: true, emailVerifiedAt: true },
  });
  const pending = await getPendingEmailChange(userId);
  return {
    name: user.name,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    pendingEmail: pending?.email ?? null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const userId = await requireUserId(request);
  const formData = await readCheckedForm(request);

  const parsed = profileSchema.safeParse({
    name: formData.get("name") ?? undefined,
    email: formData.get("email") ?? undefined,
    password: formData.get("password") || undefined,
  });
  if (!parsed.success) {
    return data(
      {
        errors: toFieldErrors(parsed.error),
        values: keepValues(formData),
        formError: null,
        message: null,
      },
      { status: 400 },
    );
  }

  const result = await updateProfile(
    { userId, ...parsed.data },
    getRequestInfo(request, context),
  );
  if (result.status === "wrong-password") {
    const errors: FieldErrors = {
      password: [
        parsed.data.password
          ? WRONG_PASSWORD_MESSAGE
          : "Enter your current password to change your email address.",
      ],
    };
    return data(
      { errors, values: keepValues(formData), formError: null, message: null },
      { status: 400 },
    );
  }
  if (result.status === "rate-limited") {
    return data(
      {
        errors: null,
        values: keepValues(formData),
        formError: `You can request at most ${EMAIL_CHANGE_LIMIT} email changes an hour. Try again later.`,
        message: null,
      },
      { status: 429 },
    );
  }

  const messages: string[] = [];
  if (result.nameChanged) messages.push("Your name was saved.");
  if (result.emailChangeRequested) {
    messages.push(
      `We sent a confirmation link to ${parsed.data.email}. Your address changes when you open it; until then, sign in with your current address.`,
    );
  }
  if (messages.length === 0) messages.push("Nothing changed.");
  return data({
    errors: null,
    values: null,
    formError: null,
    message: messages.join(" "),
  });
}

export default function ProfileSettingsPage() {
  const profile = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const values = actionData?.values;

  return (
    <section aria-labelledby="profile-heading" className="space-y-4">
      <h2 id="profile-heading" className="text-xl font-semibold">
        Profile
      </h2>
      {actionData?.message ? (
        <p
          role="status"
          className="rounded-md border border-teal-200 bg-teal-50 px-4 py-3 text-sm text-teal-900"
        >
          {actionData.message}
        </p>
      ) : null}
      <FormError message={actionData?.formError} />
      {profile.pendingEmail ? (
        <p className="text-sm text-slate-700">
          {`Waiting for confirmation of ${profile.pendingEmail}. Open the link we sent there to switch to it.`}
        </p>
      ) : null}
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          defaultValue={values?.name ?? profile.name}
          errors={errors?.name}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={values?.email ?? profile.email}
          errors={errors?.email}
          hint={
            profile.emailVerified
              ? "Confirmed. A new address takes effect once you open the link we send to it."
              : "Not confirmed yet. A new address takes effect once you open the link we send to it."
          }
        />
        <Field
          label="Current password"
          name="password"
          type="password"
          autoComplete="current-password"
          errors={errors?.password}
          hint="Needed only to change your email address."
        />
        <button type="submit" className="btn-primary">
          Save profile
        </button>
      </Form>
    </section>
  );
}

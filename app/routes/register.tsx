import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";

import { CsrfInput, Field } from "~/components/forms";
import { HoneypotFields } from "~/components/honeypot";
import { PasswordField } from "~/components/password-field";
import {
  checkNewPassword,
  getPasswordPolicy,
} from "~/modules/accounts/password.server";
import { registerUser } from "~/modules/accounts/registration.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { emailSchema, requireAnonymous } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { checkHoneypot, getHoneypotInputProps } from "~/utils/honeypot.server";
import { keepValues, toFieldErrors } from "~/utils/forms";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Create account · Dokodo" }];

const registrationSchema = z.object({
  name: z
    .string({ required_error: "Enter your name." })
    .trim()
    .min(1, "Enter your name.")
    .max(100, "Use a name of at most 100 characters."),
  email: emailSchema,
});

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  return {
    honeypot: getHoneypotInputProps(),
    passwordPolicy: getPasswordPolicy(),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readCheckedForm(request);
  checkHoneypot(formData, request);

  const parsed = registrationSchema.safeParse({
    name: formData.get("name") ?? undefined,
    email: formData.get("email") ?? undefined,
  });
  const errors = parsed.success ? {} : toFieldErrors(parsed.error);
  const rawEmail = formData.get("email");
  const rawName = formData.get("name");
  const password = await checkNewPassword(formData.get("password"), {
    email:
      parsed.data?.email ?? (typeof rawEmail === "string" ? rawEmail : null),
    name: parsed.data?.name ?? (typeof rawName === "string" ? rawName : null),
  });
  if (!password.ok) errors.password = password.errors;
  if (!parsed.success || !password.ok) {
    return data({ errors, values: keepValues(formData) }, { status: 400 });
  }

  const result = await registerUser({
    ...parsed.data,
    password: password.password,
  });
  if (result.created) {
    await recordAuditEvent(
      {
        action: "USER_REGISTERED",
        actorId: result.userId,
        targetType: "User",
        targetId: result.userId,
      },
      getRequestInfo(request, context),
    );
  }
  // Known and new addresses get this same redirect and no cookie, so the
  // response never reveals whether an address has an account. The email
  // sent to the address explains which case applied.
  return redirect("/check-email");
}

export default function RegisterPage() {
  const { honeypot, passwordPolicy } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const values = actionData?.values;

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-semibold">Create your account</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <HoneypotFields inputProps={honeypot} />
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={100}
          defaultValue={values?.name}
          errors={errors?.name}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={values?.email}
          errors={errors?.email}
        />
        <PasswordField
          label="Password"
          name="password"
          policy={passwordPolicy}
          errors={errors?.password}
          readContextFromForm
        />
        <button type="submit" className="btn-primary w-full">
          Create account
        </button>
      </Form>
      <p className="mt-4 text-sm text-slate-600">
        Already have an account?{" "}
        <Link to="/login" className="link">
          Sign in
        </Link>
      </p>
    </div>
  );
}

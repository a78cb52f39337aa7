import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { z } from "zod";

import { CsrfInput, Field } from "~/components/forms";
import { registerUser } from "~/modules/accounts/registration.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { emailSchema, requireAnonymous } from "~/utils/auth.server";
import { validateCsrf } from "~/utils/csrf.server";
import type { FieldErrors } from "~/utils/forms";
import { keepValues, toFieldErrors } from "~/utils/forms";
import { newPasswordSchema, PASSWORD_MIN_LENGTH } from "~/utils/password-policy";
import { getRequestInfo } from "~/utils/request-context.server";
import { createSession } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "Create account · Dokodo" }];

const registrationSchema = z.object({
  name: z
    .string({ required_error: "Enter your name." })
    .trim()
    .min(1, "Enter your name.")
    .max(100, "Use a name of at most 100 characters."),
  email: emailSchema,
  password: newPasswordSchema,
});

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  await validateCsrf(formData, request);

  const parsed = registrationSchema.safeParse({
    name: formData.get("name") ?? undefined,
    email: formData.get("email") ?? undefined,
    password: formData.get("password") ?? undefined,
  });
  if (!parsed.success) {
    return data(
      { errors: toFieldErrors(parsed.error), values: keepValues(formData) },
      { status: 400 },
    );
  }

  const result = await registerUser(parsed.data);
  if (!result.ok) {
    const errors: FieldErrors = { email: [result.message] };
    return data({ errors, values: keepValues(formData) }, { status: 400 });
  }

  const info = getRequestInfo(request, context);
  await recordAuditEvent(
    {
      action: "USER_REGISTERED",
      actorId: result.userId,
      targetType: "User",
      targetId: result.userId,
    },
    info,
  );
  const sessionCookie = await createSession(result.userId, info);
  return redirect("/items", { headers: { "Set-Cookie": sessionCookie } });
}

export default function RegisterPage() {
  const actionData = useActionData<typeof action>();
  const errors = actionData?.errors;
  const values = actionData?.values;

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-semibold">Create your account</h1>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
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
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint={`At least ${PASSWORD_MIN_LENGTH} characters with upper and lower case, a digit and a symbol; at most 72 bytes.`}
          errors={errors?.password}
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

import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { z } from "zod";

import { CsrfInput, Field, FormError } from "~/components/forms";
import { checkSignInDevice } from "~/modules/security/known-devices.server";
import { verifySecondFactor } from "~/modules/security/sign-in.server";
import type { ChallengeEndReason } from "~/modules/two-factor/challenge.server";
import {
  CHALLENGE_MAX_ATTEMPTS,
  claimChallengeAttempt,
  clearChallengeCookie,
  deleteSignInChallenge,
  findSignInChallenge,
} from "~/modules/two-factor/challenge.server";
import type { SecondFactorMethod } from "~/modules/two-factor/two-factor.server";
import {
  isCodeShaped,
  verifySecondFactorCode,
} from "~/modules/two-factor/two-factor.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { requireAnonymous } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { getRequestInfo } from "~/utils/request-context.server";
import { createSession, destroySession } from "~/utils/session.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [
  { title: "Two-step sign-in · Dokodo" },
];

const CODE_FORMAT_MESSAGE =
  "Enter the 6-digit code from your authenticator app or one of your recovery codes, such as abcde-12345. Both are accepted.";

const codeSchema = z
  .string({ required_error: CODE_FORMAT_MESSAGE })
  .trim()
  .min(1, CODE_FORMAT_MESSAGE)
  .max(64, CODE_FORMAT_MESSAGE)
  .refine(isCodeShaped, CODE_FORMAT_MESSAGE);

/** Sends the browser back to /login with a notice and clears the cookie. */
async function endChallenge(reason: ChallengeEndReason): Promise<Response> {
  const notice =
    reason === "attempts" ? "two-factor-attempts" : "two-factor-expired";
  return redirect(`/login?notice=${notice}`, {
    headers: { "Set-Cookie": await clearChallengeCookie() },
  });
}

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAnonymous(request);
  const challenge = await findSignInChallenge(request);
  if (typeof challenge === "string") throw await endChallenge(challenge);
  return {
    attemptsLeft: CHALLENGE_MAX_ATTEMPTS - challenge.attempts,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readCheckedForm(request);
  const info = getRequestInfo(request, context);

  const challenge = await findSignInChallenge(request);
  if (typeof challenge === "string") return endChallenge(challenge);

  const parsed = codeSchema.safeParse(formData.get("code") ?? undefined);
  if (!parsed.success) {
    // A malformed entry cannot match, so it does not use up an attempt.
    return data(
      { formError: null, codeErrors: [parsed.error.issues[0]!.message] },
      { status: 400 },
    );
  }

  const attempts = await claimChallengeAttempt(challenge.id);
  if (attempts === null) {
    await deleteSignInChallenge(challenge.id);
    return endChallenge("attempts");
  }

  let method: SecondFactorMethod | null = null;
  const passed = await verifySecondFactor(challenge.userId, info, async () => {
    method = await verifySecondFactorCode(challenge.userId, parsed.data, info);
    return method !== null;
  });

  if (!passed) {
    await recordAuditEvent(
      {
        action: "TWO_FACTOR_CHALLENGE_FAILED",
        actorId: null,
        targetType: "User",
        targetId: challenge.userId,
        newValues: { attempt: attempts, maxAttempts: CHALLENGE_MAX_ATTEMPTS },
      },
      info,
    );
    const attemptsLeft = CHALLENGE_MAX_ATTEMPTS - attempts;
    if (attemptsLeft <= 0) {
      await deleteSignInChallenge(challenge.id);
      return endChallenge("attempts");
    }
    return data(
      {
        formError: `That code is incorrect or was already used. ${attemptsLeft} ${attemptsLeft === 1 ? "attempt" : "attempts"} left.`,
        codeErrors: null,
      },
      { status: 400 },
    );
  }

  // Only the request that deletes the challenge signs in, so two codes that
  // pass at once still create one session.
  if (!(await deleteSignInChallenge(challenge.id))) {
    return endChallenge("expired");
  }
  // A fresh token: any session the browser already carried is deleted.
  await destroySession(request);
  const headers = new Headers();
  headers.append("Set-Cookie", await clearChallengeCookie());
  headers.append("Set-Cookie", await createSession(challenge.userId, info));
  checkSignInDevice(challenge.userId, info);
  await recordAuditEvent(
    {
      action: "SIGN_IN_SUCCEEDED",
      actorId: challenge.userId,
      targetType: "User",
      targetId: challenge.userId,
      newValues: { secondFactor: method },
    },
    info,
  );
  return redirect(challenge.redirectTo, { headers });
}

export default function TwoFactorSignInPage() {
  const actionData = useActionData<typeof action>();

  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-2 text-2xl font-semibold">Two-step sign-in</h1>
      <p className="mb-6 text-sm text-slate-700">
        Enter the 6-digit code that your authenticator app shows for Dokodo. If
        you cannot use the app, enter one of your recovery codes; each works
        once.
      </p>
      <Form method="post" className="card space-y-4" noValidate>
        <CsrfInput />
        <FormError message={actionData?.formError} />
        <Field
          label="Code"
          name="code"
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
          errors={actionData?.codeErrors}
        />
        <button type="submit" className="btn-primary w-full">
          Verify and sign in
        </button>
      </Form>
      <p className="mt-4 text-sm text-slate-600">
        <Link to="/login" className="link">
          Sign in with another account
        </Link>
      </p>
    </div>
  );
}

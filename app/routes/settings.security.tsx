import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import {
  Form,
  useActionData,
  useLoaderData,
  useNavigation,
} from "@remix-run/react";
import { z } from "zod";

import { CsrfInput, Field, FormError } from "~/components/forms";
import { WRONG_PASSWORD_MESSAGE } from "~/modules/accounts/account-settings.server";
import { requireSession } from "~/modules/accounts/sessions.server";
import {
  cancelTwoFactorSetup,
  confirmTwoFactorSetup,
  disableTwoFactor,
  getPendingSetup,
  getTwoFactorStatus,
  regenerateRecoveryCodes,
  startTwoFactorSetup,
} from "~/modules/two-factor/two-factor.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { prisma } from "~/utils/db.server";
import type { FieldErrors } from "~/utils/forms";
import { getRequestInfo } from "~/utils/request-context.server";
import { httpError } from "~/utils/http-error.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Security · Dokodo" }];

const SETTINGS_PATH = "/settings/security";

const UNVERIFIED_EMAIL_MESSAGE =
  "Confirm your email address before you turn on two-step sign-in, so that we can reach you about your account.";

/** Formats a time the same way on the server and in every browser. */
const timeFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

export async function loader({ request }: LoaderFunctionArgs) {
  const { userId } = await requireSession(request);
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: { email: true, emailVerifiedAt: true },
  });
  const status = await getTwoFactorStatus(userId);
  const pending = status.pendingSetup
    ? await getPendingSetup(userId, user.email)
    : null;
  return {
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    enabled: status.enabled,
    enabledAt: status.enabledAt
      ? `${timeFormat.format(status.enabledAt)} UTC`
      : null,
    unusedRecoveryCodes: status.unusedRecoveryCodes,
    pending: pending
      ? {
          qrCodeDataUrl: pending.qrCodeDataUrl,
          manualKey: pending.manualKey,
          expiresAt: `${timeFormat.format(pending.expiresAt)} UTC`,
        }
      : null,
    adminRequired:
      new URL(request.url).searchParams.get("required") === "admin",
  };
}

const totpCode = z
  .string({ required_error: "Enter the 6-digit code from your app." })
  .transform((value) => value.replace(/\s/g, ""))
  .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code from your app."));
const password = z
  .string({ required_error: "Enter your password." })
  .min(1, "Enter your password.")
  .max(1_024, WRONG_PASSWORD_MESSAGE);
const anyCode = z
  .string({ required_error: "Enter a code from your app or a recovery code." })
  .trim()
  .min(1, "Enter a code from your app or a recovery code.")
  .max(64, "Enter a code from your app or a recovery code.");

const actionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("start") }),
  z.object({ intent: z.literal("cancel") }),
  z.object({ intent: z.literal("confirm"), code: totpCode }),
  z.object({ intent: z.literal("regenerate"), password }),
  z.object({ intent: z.literal("disable"), password, code: anyCode }),
]);

type ActionResult = {
  errors: FieldErrors | null;
  formError: string | null;
  message: string | null;
  recoveryCodes: string[] | null;
  /** The form whose fields `errors` belong to. */
  intent: string | null;
};

function result(values: Partial<ActionResult>, status = 200) {
  const body: ActionResult = {
    errors: null,
    formError: null,
    message: null,
    recoveryCodes: null,
    intent: null,
    ...values,
  };
  return data(body, { status });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request);
  const userId = session.userId;
  const formData = await readCheckedForm(request);
  const info = getRequestInfo(request, context);

  const intent = formData.get("intent");
  const parsed = actionSchema.safeParse({
    intent: intent ?? undefined,
    code: formData.get("code") ?? undefined,
    password: formData.get("password") ?? undefined,
  });
  if (!parsed.success) {
    if (typeof intent !== "string") {
      throw httpError(
        400,
        "The form is incomplete. Reload the page and try again.",
      );
    }
    return result(
      { errors: parsed.error.flatten().fieldErrors as FieldErrors, intent },
      400,
    );
  }
  const input = parsed.data;

  switch (input.intent) {
    case "start": {
      const started = await startTwoFactorSetup(userId);
      if (started.status === "email-unverified") {
        return result({ formError: UNVERIFIED_EMAIL_MESSAGE }, 403);
      }
      if (started.status === "already-enabled") {
        return result({ formError: "Two-step sign-in is already on." }, 409);
      }
      return redirect(SETTINGS_PATH);
    }
    case "cancel": {
      await cancelTwoFactorSetup(userId);
      return redirect(SETTINGS_PATH);
    }
    case "confirm": {
      const confirmed = await confirmTwoFactorSetup(userId, input.code, info);
      if (confirmed.status === "invalid-code") {
        return result(
          {
            errors: {
              code: [
                "That code does not match. Check that the app shows the Dokodo entry you just added and enter its current code.",
              ],
            },
            intent: "confirm",
          },
          400,
        );
      }
      if (confirmed.status === "no-setup") {
        return result(
          {
            formError:
              "This setup expired or was replaced. Start the setup again.",
          },
          409,
        );
      }
      return result({
        message:
          "Two-step sign-in is on. Save your recovery codes now: this is the only time they are shown.",
        recoveryCodes: confirmed.recoveryCodes,
      });
    }
    case "regenerate": {
      const regenerated = await regenerateRecoveryCodes(
        userId,
        input.password,
        info,
      );
      if (regenerated.status === "wrong-password") {
        return result(
          {
            errors: { password: [WRONG_PASSWORD_MESSAGE] },
            intent: "regenerate",
          },
          400,
        );
      }
      if (regenerated.status === "not-enabled") {
        return result({ formError: "Two-step sign-in is off." }, 409);
      }
      return result({
        message:
          "New recovery codes were created and the old ones no longer work. Save them now: this is the only time they are shown.",
        recoveryCodes: regenerated.recoveryCodes,
      });
    }
    case "disable": {
      const disabled = await disableTwoFactor(
        {
          userId,
          sessionId: session.sessionId,
          password: input.password,
          code: input.code,
        },
        info,
      );
      if (disabled.status === "wrong-password") {
        return result(
          { errors: { password: [WRONG_PASSWORD_MESSAGE] }, intent: "disable" },
          400,
        );
      }
      if (disabled.status === "invalid-code") {
        return result(
          {
            errors: {
              code: ["That code is incorrect or was already used."],
            },
            intent: "disable",
          },
          400,
        );
      }
      if (disabled.status === "not-enabled") {
        return result({ formError: "Two-step sign-in is already off." }, 409);
      }
      const others =
        disabled.revokedSessions === 1
          ? "1 other session was"
          : `${disabled.revokedSessions} other sessions were`;
      return result({
        message: `Two-step sign-in is off. ${others} signed out, and we emailed you about the change.`,
      });
    }
  }
}

/** Returns a data: URL of a text file that lists the codes, one a line. */
function recoveryCodesFileUrl(codes: string[]): string {
  const text = [
    "Dokodo recovery codes",
    "Each code signs you in once when you cannot use your authenticator app.",
    "",
    ...codes,
    "",
  ].join("\n");
  return `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="card space-y-4" data-testid="recovery-codes">
      <h3 className="text-lg font-semibold">Recovery codes</h3>
      <p className="text-sm text-slate-700">
        Keep these codes somewhere safe, such as a password manager. Each one
        signs you in once if you lose your authenticator app.
      </p>
      <ul className="grid grid-cols-2 gap-2 font-mono text-sm">
        {codes.map((code) => (
          <li key={code} data-recovery-code={code}>
            {code}
          </li>
        ))}
      </ul>
      <a
        href={recoveryCodesFileUrl(codes)}
        download="dokodo-recovery-codes.txt"
        className="btn-secondary"
      >
        Download as .txt
      </a>
    </div>
  );
}

function StatusMessage({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p
      role="status"
      className="rounded-md border border-teal-200 bg-teal-50 px-4 py-3 text-sm text-teal-900"
    >
      {message}
    </p>
  );
}

export default function SecuritySettingsPage() {
  const page = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const errorsFor = (intent: string) =>
    actionData?.intent === intent ? actionData.errors : null;

  return (
    <section aria-labelledby="security-heading" className="space-y-4">
      <h2 id="security-heading" className="text-xl font-semibold">
        Two-step sign-in
      </h2>
      {page.adminRequired && !page.enabled ? (
        <p
          role="alert"
          className="rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
        >
          The admin area requires two-step sign-in. Turn it on below, then open
          the admin area again.
        </p>
      ) : null}
      <StatusMessage message={actionData?.message} />
      <FormError message={actionData?.formError} />
      {actionData?.recoveryCodes ? (
        <RecoveryCodes codes={actionData.recoveryCodes} />
      ) : null}

      {page.enabled ? (
        <>
          <p className="text-sm text-slate-700" data-testid="two-factor-status">
            Two-step sign-in is <strong>on</strong> since {page.enabledAt}.
            Signing in needs your password and a code from your authenticator
            app. {page.unusedRecoveryCodes} of 10 recovery codes are unused.
          </p>

          <Form method="post" className="card space-y-4" noValidate>
            <h3 className="text-lg font-semibold">New recovery codes</h3>
            <p className="text-sm text-slate-700">
              Creates ten new codes. The current ones stop working.
            </p>
            <CsrfInput />
            <input type="hidden" name="intent" value="regenerate" />
            <Field
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              errors={errorsFor("regenerate")?.password}
            />
            <button type="submit" className="btn-secondary" disabled={busy}>
              Create new recovery codes
            </button>
          </Form>

          <Form method="post" className="card space-y-4" noValidate>
            <h3 className="text-lg font-semibold">Turn off two-step sign-in</h3>
            <p className="text-sm text-slate-700">
              Signing in then needs only your password. Every other device is
              signed out.
            </p>
            <CsrfInput />
            <input type="hidden" name="intent" value="disable" />
            <Field
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              errors={errorsFor("disable")?.password}
            />
            <Field
              label="Code from your app, or a recovery code"
              name="code"
              autoComplete="one-time-code"
              autoCapitalize="none"
              spellCheck={false}
              required
              errors={errorsFor("disable")?.code}
            />
            <button type="submit" className="btn-danger" disabled={busy}>
              Turn off two-step sign-in
            </button>
          </Form>
        </>
      ) : page.pending ? (
        <div className="card space-y-4">
          <h3 className="text-lg font-semibold">
            Set up your authenticator app
          </h3>
          <ol className="list-decimal space-y-2 pl-5 text-sm text-slate-700">
            <li>
              Scan this QR code with an authenticator app, such as 1Password,
              Google Authenticator or Aegis.
            </li>
            <li>Enter the 6-digit code the app shows for Dokodo.</li>
          </ol>
          <img
            src={page.pending.qrCodeDataUrl}
            alt={`QR code that adds ${page.email} on Dokodo to an authenticator app`}
            width={200}
            height={200}
            data-testid="totp-qr-code"
          />
          <p className="text-sm text-slate-700">
            Cannot scan it? Enter this key in the app instead (time-based, 6
            digits, 30 seconds):
          </p>
          <p>
            <code
              className="rounded bg-slate-100 px-2 py-1 font-mono text-sm"
              data-testid="totp-manual-key"
            >
              {page.pending.manualKey}
            </code>
          </p>
          <Form method="post" className="space-y-4" noValidate>
            <CsrfInput />
            <input type="hidden" name="intent" value="confirm" />
            <Field
              label="Code from your app"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              errors={errorsFor("confirm")?.code}
              hint={`This setup expires at ${page.pending.expiresAt}.`}
            />
            <button type="submit" className="btn-primary" disabled={busy}>
              Turn on two-step sign-in
            </button>
          </Form>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="btn-secondary" disabled={busy}>
              Cancel setup
            </button>
          </Form>
        </div>
      ) : (
        <div className="card space-y-4">
          <p className="text-sm text-slate-700" data-testid="two-factor-status">
            Two-step sign-in is <strong>off</strong>. Turn it on so that signing
            in needs a code from an authenticator app as well as your password.
          </p>
          {page.emailVerified ? (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="start" />
              <button type="submit" className="btn-primary" disabled={busy}>
                Set up two-step sign-in
              </button>
            </Form>
          ) : (
            <div className="space-y-3" data-testid="verify-email-first">
              <p className="text-sm text-amber-900">
                {UNVERIFIED_EMAIL_MESSAGE}
              </p>
              <Form method="post" action="/verify-email/resend">
                <CsrfInput />
                <button type="submit" className="btn-secondary">
                  Send a new confirmation link
                </button>
              </Form>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

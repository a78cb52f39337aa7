import type {
  ActionFunctionArgs,
  HeadersFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData } from "@remix-run/react";

import { resendVerificationEmail } from "~/modules/accounts/email-verification.server";
import { checkThrottle } from "~/modules/security/throttle.server";
import { recordAuditEvent } from "~/utils/audit.server";
import { requireUserId } from "~/utils/auth.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { getEnv } from "~/utils/env.server";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [
  { title: "Confirmation email · Dokodo" },
];

/** Passes the action's Retry-After on to document responses. */
export const headers: HeadersFunction = ({ actionHeaders }) => actionHeaders;

/**
 * Requires a signed-in user. Remix also runs this loader after each POST
 * sent without JavaScript, so it must not redirect.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserId(request);
  return null;
}

/**
 * Sends a new verification link, at most THROTTLE_VERIFICATION_RESEND_LIMIT
 * times per window and user (the "verification-resend" policy, counted
 * atomically in PostgreSQL). The banner posts with a fetcher and shows the
 * message in place; without JavaScript this route's page shows it.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const userId = await requireUserId(request);
  const formData = await readCheckedForm(request);

  const decision = await checkThrottle("verification-resend", userId, request);
  if (!decision.allowed) {
    const env = getEnv();
    return data(
      {
        ok: false,
        message: `You can request at most ${env.THROTTLE_VERIFICATION_RESEND_LIMIT} confirmation emails every ${env.THROTTLE_VERIFICATION_RESEND_WINDOW_SECONDS} seconds. Try again in ${decision.retryAfterSeconds} seconds.`,
      },
      {
        status: 429,
        headers: { "Retry-After": String(decision.retryAfterSeconds) },
      },
    );
  }

  const result = await resendVerificationEmail(userId);
  if (result.status === "already-verified") {
    return data({
      ok: true,
      message: "Your email address is already confirmed.",
    });
  }
  await recordAuditEvent(
    {
      action: "VERIFICATION_EMAIL_SENT",
      actorId: userId,
      targetType: "User",
      targetId: userId,
    },
    getRequestInfo(request, context),
  );
  return data({
    ok: true,
    message: `We sent a new confirmation link to ${result.email}. Earlier links no longer work.`,
  });
}

export default function ResendVerificationPage() {
  const actionData = useActionData<typeof action>();
  return (
    <div className="card mx-auto max-w-md space-y-4">
      <h1 className="text-2xl font-semibold">Confirmation email</h1>
      <p role="status" className="text-slate-700">
        {actionData?.message ??
          "Use the banner at the top of the page to send a new link."}
      </p>
      <Link to="/items" className="link">
        Back to your items
      </Link>
    </div>
  );
}

import { useFetcher } from "@remix-run/react";

import { CsrfInput } from "~/components/forms";

type ResendResponse = { ok: boolean; message: string };

/**
 * Renders the reminder shown on every page while the signed-in user's
 * address is unconfirmed, with a button that sends a new confirmation link.
 */
export function VerifyEmailBanner() {
  const fetcher = useFetcher<ResendResponse>();
  const sending = fetcher.state !== "idle";
  return (
    <div
      role="region"
      aria-label="Email confirmation"
      className="mb-6 flex flex-wrap items-center justify-between gap-3 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
    >
      <p>
        Confirm your email address with the link we sent you. Until then you
        cannot turn on two-step sign-in or subscribe.
      </p>
      <fetcher.Form method="post" action="/verify-email/resend">
        <CsrfInput />
        <button type="submit" className="btn-secondary py-1" disabled={sending}>
          {sending ? "Sending…" : "Send a new link"}
        </button>
      </fetcher.Form>
      {fetcher.data ? (
        <p role="status" className="w-full">
          {fetcher.data.message}
        </p>
      ) : null}
    </div>
  );
}

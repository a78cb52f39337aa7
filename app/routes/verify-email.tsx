import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";

import { CsrfInput, FormError } from "~/components/forms";
import { confirmEmailToken } from "~/modules/accounts/email-verification.server";
import { findLiveToken, tokenSchema } from "~/modules/accounts/tokens.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { prisma } from "~/utils/db.server";
import { getRequestInfo } from "~/utils/request-context.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

// The URL carries the token, so no page loaded from here may receive it in
// a Referer header.
export const meta: MetaFunction = () => [
  { title: "Confirm email address · Dokodo" },
  { name: "referrer", content: "no-referrer" },
];

const INVALID_LINK_MESSAGE =
  "This link is invalid, expired or already used. Sign in and send a new one from the banner at the top of the page.";

/**
 * Shows a confirm button instead of verifying on GET, because mail
 * scanners and link previews open links without the user.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const param = new URL(request.url).searchParams.get("token");
  // The confirm form posts to /verify-email without the token in the URL,
  // and Remix runs this loader after the action. Returning 200 here keeps
  // the action's status as the response status.
  if (param === null) {
    return data({ valid: false as const, message: INVALID_LINK_MESSAGE });
  }
  const token = tokenSchema.safeParse(param);
  const row = token.success
    ? await findLiveToken(prisma, token.data, ["VERIFY_EMAIL", "CHANGE_EMAIL"])
    : null;
  if (!token.success || !row) {
    return data(
      { valid: false as const, message: INVALID_LINK_MESSAGE },
      { status: 400 },
    );
  }
  return data({
    valid: true as const,
    token: token.data,
    change: row.purpose === "CHANGE_EMAIL",
    email: row.email,
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readCheckedForm(request);
  const token = tokenSchema.safeParse(formData.get("token") ?? undefined);
  if (!token.success) {
    return data(
      { done: false, message: INVALID_LINK_MESSAGE },
      { status: 400 },
    );
  }

  const result = await confirmEmailToken(
    token.data,
    getRequestInfo(request, context),
  );
  switch (result.status) {
    case "verified":
      return data({
        done: true,
        message: `Your email address ${result.email} is confirmed.`,
      });
    case "changed":
      return data({
        done: true,
        message: `Your account now uses ${result.email}. Use it the next time you sign in.`,
      });
    case "taken":
      return data(
        {
          done: false,
          message:
            "Another account started using this address in the meantime, so your address was not changed.",
        },
        { status: 409 },
      );
    case "invalid":
      return data(
        { done: false, message: INVALID_LINK_MESSAGE },
        { status: 400 },
      );
  }
}

export default function VerifyEmailPage() {
  const loaderData = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();

  if (actionData?.done) {
    return (
      <div className="card mx-auto max-w-md space-y-4">
        <h1 className="text-2xl font-semibold">Email address confirmed</h1>
        <p role="status" className="text-slate-700">
          {actionData.message}
        </p>
        <Link to="/items" className="btn-primary">
          Continue to Dokodo
        </Link>
      </div>
    );
  }

  if (!loaderData.valid || actionData) {
    return (
      <div className="card mx-auto max-w-md space-y-4">
        <h1 className="text-2xl font-semibold">Link not usable</h1>
        <FormError
          message={
            actionData?.message ??
            (loaderData.valid ? null : loaderData.message)
          }
        />
        <Link to="/login" className="link">
          Sign in
        </Link>
      </div>
    );
  }

  return (
    <div className="card mx-auto max-w-md space-y-4">
      <h1 className="text-2xl font-semibold">
        {loaderData.change
          ? "Confirm your new email address"
          : "Confirm your email address"}
      </h1>
      <p className="text-slate-700">
        {loaderData.change
          ? `Confirm to switch your Dokodo account to ${loaderData.email}.`
          : `Confirm that ${loaderData.email} is your address.`}
      </p>
      <Form method="post" action="/verify-email">
        <CsrfInput />
        <input type="hidden" name="token" value={loaderData.token} />
        <button type="submit" className="btn-primary">
          Confirm email address
        </button>
      </Form>
    </div>
  );
}

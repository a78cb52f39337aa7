import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [
  { title: "Check your inbox · Dokodo" },
];

/**
 * Renders the page that registration leads to for every address, new or
 * known, so it reveals nothing about which addresses have accounts.
 */
export default function CheckEmailPage() {
  return (
    <div className="card mx-auto max-w-md space-y-4">
      <h1 className="text-2xl font-semibold">Check your inbox</h1>
      <p className="text-slate-700">
        We sent a message to the address you entered. If this is a new account,
        it contains a link that confirms your address. If the address already
        has an account, the message explains how to sign in or reset your
        password.
      </p>
      <p className="text-slate-700">
        You can sign in now; confirm your address when the message arrives.
      </p>
      <Link to="/login" className="btn-primary">
        Sign in
      </Link>
    </div>
  );
}

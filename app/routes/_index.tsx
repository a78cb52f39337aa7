import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link } from "@remix-run/react";

import { getUserId } from "~/utils/auth.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [
  { title: "Dokodo · Find anything you own" },
  {
    name: "description",
    content:
      "Record your things, where you keep them and find any of them again in seconds.",
  },
];

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getUserId(request)) throw redirect("/items");
  return null;
}

export default function LandingPage() {
  return (
    <section className="py-12 text-center">
      <h1 className="text-4xl font-bold tracking-tight text-slate-900">
        Where did I put it?
      </h1>
      <p className="mx-auto mt-4 max-w-xl text-lg text-slate-700">
        Dokodo keeps track of your things and the places you keep them, from the
        house down to the shelf, so you can find any item again in seconds.
      </p>
      <div className="mt-8 flex justify-center gap-3">
        <Link to="/register" className="btn-primary">
          Create a free account
        </Link>
        <Link to="/login" className="btn-secondary">
          Sign in
        </Link>
      </div>
    </section>
  );
}

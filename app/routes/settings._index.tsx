import { redirect } from "@remix-run/node";

/** Redirects /settings to the profile section. */
export function loader() {
  return redirect("/settings/profile");
}

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { NavLink, Outlet } from "@remix-run/react";

import { requireUserId } from "~/utils/auth.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Settings · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUserId(request);
  return null;
}

const SECTIONS = [
  { to: "/settings/profile", label: "Profile" },
  { to: "/settings/password", label: "Password" },
  { to: "/settings/sessions", label: "Sessions" },
  { to: "/settings/security", label: "Security" },
];

/** Renders the account settings layout: section links beside the open section. */
export default function SettingsLayout() {
  const linkClass = ({ isActive }: { isActive: boolean }) =>
    `block rounded px-3 py-2 text-sm ${isActive ? "bg-teal-50 font-medium text-teal-900" : "text-slate-700 hover:bg-slate-100"}`;
  return (
    <div className="grid gap-6 md:grid-cols-[12rem_1fr]">
      <div>
        <h1 className="mb-3 text-2xl font-semibold">Settings</h1>
        <nav aria-label="Settings">
          <ul className="space-y-1">
            {SECTIONS.map((section) => (
              <li key={section.to}>
                <NavLink to={section.to} className={linkClass}>
                  {section.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </div>
      <div>
        <Outlet />
      </div>
    </div>
  );
}

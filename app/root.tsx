import type {
  LinksFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data } from "@remix-run/node";
import {
  Form,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useNavigation,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { AuthenticityTokenProvider } from "remix-utils/csrf/react";

import { ErrorPage } from "./components/error-page";
import { CsrfInput } from "./components/forms";
import { VerifyEmailBanner } from "./components/verify-email-banner";
import stylesheet from "./tailwind.css";
import { prisma } from "./utils/db.server";
import { getUserId } from "./utils/auth.server";
import { commitCsrfToken } from "./utils/csrf.server";
import { useNonce } from "./utils/nonce";
import { useDocumentRequestId } from "./utils/request-id";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Dokodo" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const userId = await getUserId(request);
  const user = userId
    ? await prisma.user.findUnique({
        where: { id: userId },
        select: { id: true, name: true, email: true, emailVerifiedAt: true },
      })
    : null;
  const [csrfToken, csrfCookie] = await commitCsrfToken(request);
  // Signed-out visitors count as verified, so they never see the banner.
  const emailVerified = !user || user.emailVerifiedAt !== null;
  return data(
    { user, emailVerified, requestId: context.requestId, csrfToken },
    { headers: csrfCookie ? { "Set-Cookie": csrfCookie } : undefined },
  );
}

function PendingBar() {
  const navigation = useNavigation();
  if (navigation.state === "idle") return null;
  return (
    <div
      role="progressbar"
      aria-label="Loading"
      className="fixed inset-x-0 top-0 z-50 h-1 animate-pulse bg-teal-600"
    />
  );
}

function Header() {
  const data = useRouteLoaderData<typeof loader>("root");
  const user = data?.user;
  const navClass = ({ isActive }: { isActive: boolean }) =>
    `rounded px-2 py-1 ${isActive ? "bg-teal-50 text-teal-900" : "text-slate-700 hover:text-slate-900"}`;
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-3">
        <Link to="/" className="text-lg font-semibold text-teal-800">
          Dokodo
        </Link>
        {user ? (
          <nav aria-label="Main" className="flex items-center gap-2 text-sm">
            <NavLink to="/items" className={navClass}>
              Items
            </NavLink>
            <NavLink to="/locations" className={navClass}>
              Locations
            </NavLink>
            <NavLink to="/settings" className={navClass}>
              Settings
            </NavLink>
            <span className="hidden text-slate-500 sm:inline">{user.name}</span>
            <Form method="post" action="/logout">
              {/* The header sits outside App's token provider. */}
              <AuthenticityTokenProvider token={data?.csrfToken ?? ""}>
                <CsrfInput />
              </AuthenticityTokenProvider>
              <button type="submit" className="btn-secondary py-1">
                Sign out
              </button>
            </Form>
          </nav>
        ) : (
          <nav aria-label="Account" className="flex items-center gap-2 text-sm">
            <Link to="/login" className="link">
              Sign in
            </Link>
            <Link to="/register" className="btn-primary py-1">
              Create account
            </Link>
          </nav>
        )}
      </div>
    </header>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const documentRequestId = useDocumentRequestId();
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {documentRequestId ? (
          <meta name="request-id" content={documentRequestId} />
        ) : null}
        <Meta />
        <Links />
      </head>
      <body className="min-h-full bg-slate-50 text-slate-900">
        <PendingBar />
        <Header />
        <main className="mx-auto max-w-5xl px-4 py-8">{children}</main>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <AuthenticityTokenProvider token={data?.csrfToken ?? ""}>
      {data?.emailVerified === false ? <VerifyEmailBanner /> : null}
      <Outlet />
    </AuthenticityTokenProvider>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}

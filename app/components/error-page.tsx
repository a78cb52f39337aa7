import {
  isRouteErrorResponse,
  Link,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";

import type { loader as rootLoader } from "~/root";
import { readHttpErrorBody } from "~/utils/http-error";
import { useDocumentRequestId } from "~/utils/request-id";

/** Title and message of each error status, where the body gives none. */
const ERROR_TEXT: Readonly<Record<number, { title: string; message: string }>> =
  {
    400: {
      title: "Bad request",
      message:
        "The request could not be accepted. Reload the page and try again.",
    },
    403: { title: "Forbidden", message: "You are not allowed to do that." },
    404: {
      title: "Not found",
      message: "There is nothing here, or you do not have access to it.",
    },
    405: {
      title: "Method not allowed",
      message: "This page does not accept that kind of request.",
    },
    429: {
      title: "Too many requests",
      message: "Too many requests. Wait a minute and try again.",
    },
  };

/**
 * Renders the error page of every page route. Each route exports it as its
 * own ErrorBoundary, so an error in a route's loader or action renders below
 * the root layout and the header still shows who is signed in. The request
 * ID shown is the failed request's when the error body carries one (see
 * httpError), else the page's.
 */
export function ErrorPage() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof rootLoader>("root");
  const documentRequestId = useDocumentRequestId();

  let title = "Something went wrong";
  let message = "The page could not be shown. Try again in a moment.";
  let failedRequestId: string | undefined;
  if (isRouteErrorResponse(error)) {
    const body = readHttpErrorBody(error.data);
    failedRequestId = body?.requestId;
    const fallback = ERROR_TEXT[error.status];
    title = fallback?.title ?? `${error.status} ${error.statusText}`.trim();
    // A 404 never echoes its body, so it cannot tell whether a foreign ID exists.
    message =
      (error.status === 404 ? undefined : body?.message) ??
      fallback?.message ??
      message;
  }
  const requestId = failedRequestId ?? data?.requestId ?? documentRequestId;
  return (
    <div className="card">
      <h1 className="text-2xl font-semibold">{title}</h1>
      <p className="mt-2 text-slate-700">{message}</p>
      {requestId ? (
        <p className="mt-4 text-sm text-slate-500">
          Request ID: <code>{requestId}</code>
        </p>
      ) : null}
      <p className="mt-4">
        <Link to="/" className="link">
          Go to the start page
        </Link>
      </p>
    </div>
  );
}

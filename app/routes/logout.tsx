import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

import { recordAuditEvent } from "~/utils/audit.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { getRequestInfo } from "~/utils/request-context.server";
import { destroySession, getSession } from "~/utils/session.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

/** Signing out is POST only, so a link or image cannot sign anyone out. */
export async function loader() {
  return redirect("/");
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await readCheckedForm(request);

  const session = await getSession(request);
  const clearedCookie = await destroySession(request);
  if (session) {
    await recordAuditEvent(
      {
        action: "SIGNED_OUT",
        actorId: session.userId,
        targetType: "Session",
        targetId: session.sessionId,
      },
      getRequestInfo(request, context),
    );
  }
  return redirect("/", { headers: { "Set-Cookie": clearedCookie } });
}

/**
 * Never rendered, because the loader and a valid sign-out both redirect. Its
 * presence makes this a page route, so a rejected sign-out (403) shows the
 * HTML error page instead of a bare text response.
 */
export default function Logout() {
  return null;
}

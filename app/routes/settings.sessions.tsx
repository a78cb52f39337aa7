import type {
  ActionFunctionArgs,
  LoaderFunctionArgs,
  MetaFunction,
} from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useNavigation,
  useRouteError,
} from "@remix-run/react";
import { z } from "zod";

import { CsrfInput } from "~/components/forms";
import {
  listSessions,
  requireSession,
  revokeOtherSessions,
  revokeSession,
} from "~/modules/accounts/sessions.server";
import { readCheckedForm } from "~/utils/csrf.server";
import { readHttpErrorBody } from "~/utils/http-error";
import { getRequestInfo } from "~/utils/request-context.server";
import { destroySession } from "~/utils/session.server";
import { httpError } from "~/utils/http-error.server";

export const meta: MetaFunction = () => [{ title: "Sessions · Dokodo" }];

/** Formats a time the same way on the server and in every browser. */
const timeFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

function formatTime(date: Date): { iso: string; text: string } {
  return { iso: date.toISOString(), text: `${timeFormat.format(date)} UTC` };
}

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireSession(request);
  const sessions = await listSessions(session.userId, session.sessionId);
  return {
    sessions: sessions.map((summary) => ({
      ...summary,
      createdAt: formatTime(summary.createdAt),
      lastUsedAt: formatTime(summary.lastUsedAt),
      expiresAt: formatTime(summary.expiresAt),
    })),
  };
}

const actionSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("revoke"),
    sessionId: z.string().min(1).max(64),
  }),
  z.object({ intent: z.literal("revoke-others") }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireSession(request);
  const formData = await readCheckedForm(request);
  const parsed = actionSchema.safeParse({
    intent: formData.get("intent") ?? undefined,
    sessionId: formData.get("sessionId") ?? undefined,
  });
  if (!parsed.success) {
    throw httpError(
      400,
      "The form is incomplete. Reload the page and try again.",
    );
  }
  const info = getRequestInfo(request, context);

  if (parsed.data.intent === "revoke-others") {
    const count = await revokeOtherSessions(
      session.userId,
      session.sessionId,
      info,
    );
    return data({
      message:
        count === 0
          ? "No other session was signed in."
          : `Signed out ${count} other ${count === 1 ? "session" : "sessions"}.`,
    });
  }

  const revoked = await revokeSession(
    session.userId,
    parsed.data.sessionId,
    info,
  );
  if (!revoked) {
    // Unknown and foreign IDs look alike, and nothing was deleted.
    throw httpError(404, "Session not found.");
  }
  if (parsed.data.sessionId === session.sessionId) {
    return redirect("/login", {
      headers: { "Set-Cookie": await destroySession(request) },
    });
  }
  return data({ message: "Signed out that session." });
}

export default function SessionsSettingsPage() {
  const { sessions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const others = sessions.filter((session) => !session.current);

  return (
    <section aria-labelledby="sessions-heading" className="space-y-4">
      <h2 id="sessions-heading" className="text-xl font-semibold">
        Sessions
      </h2>
      <p className="text-sm text-slate-700">
        Every browser signed in to your account. Sign out any you do not
        recognise, then change your password.
      </p>
      {actionData?.message ? (
        <p
          role="status"
          className="rounded-md border border-teal-200 bg-teal-50 px-4 py-3 text-sm text-teal-900"
        >
          {actionData.message}
        </p>
      ) : null}
      <ul className="space-y-3" aria-label="Active sessions">
        {sessions.map((session) => (
          <li
            key={session.id}
            className="card flex flex-wrap items-start justify-between gap-4"
            data-session-id={session.id}
          >
            <div className="space-y-1 text-sm">
              <p className="font-medium text-slate-900">
                {`${session.browser} on ${session.os}`}
                {session.current ? (
                  <span className="ml-2 rounded bg-teal-100 px-2 py-0.5 text-xs font-medium text-teal-900">
                    This session
                  </span>
                ) : null}
              </p>
              <p className="text-slate-600">
                {`${session.deviceType} · IP address ${session.ipHint}`}
              </p>
              <p className="text-slate-600">
                Signed in{" "}
                <time dateTime={session.createdAt.iso}>
                  {session.createdAt.text}
                </time>
                , last used{" "}
                <time dateTime={session.lastUsedAt.iso}>
                  {session.lastUsedAt.text}
                </time>
                , expires{" "}
                <time dateTime={session.expiresAt.iso}>
                  {session.expiresAt.text}
                </time>
              </p>
            </div>
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="revoke" />
              <input type="hidden" name="sessionId" value={session.id} />
              <button
                type="submit"
                className="btn-secondary py-1"
                disabled={busy}
              >
                {session.current ? "Sign out this session" : "Sign out"}
              </button>
            </Form>
          </li>
        ))}
      </ul>
      {others.length === 0 ? (
        <p className="text-sm text-slate-600">
          No other browser is signed in to your account.
        </p>
      ) : (
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="revoke-others" />
          <button type="submit" className="btn-danger" disabled={busy}>
            Sign out all other sessions
          </button>
        </Form>
      )}
    </section>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const message =
    isRouteErrorResponse(error) && error.status === 404
      ? "That session does not exist or is already signed out."
      : ((isRouteErrorResponse(error)
          ? readHttpErrorBody(error.data)?.message
          : undefined) ??
        "The sessions could not be loaded. Reload the page to try again.");
  return (
    <section className="space-y-4">
      <h2 className="text-xl font-semibold">Sessions</h2>
      <div
        role="alert"
        className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
      >
        {message}
      </div>
      <a href="/settings/sessions" className="link">
        Show your sessions
      </a>
    </section>
  );
}

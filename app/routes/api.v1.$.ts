import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";

import { apiError } from "~/utils/api.server";

function notFound(request: Request, context: LoaderFunctionArgs["context"]) {
  const { pathname } = new URL(request.url);
  return apiError(
    404,
    `No API endpoint at ${pathname.slice(0, 200)}.`,
    context,
  );
}

/** Returns a JSON 404 for unknown /api/v1 paths instead of the HTML page. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return notFound(request, context);
}

export function action({ request, context }: ActionFunctionArgs) {
  return notFound(request, context);
}

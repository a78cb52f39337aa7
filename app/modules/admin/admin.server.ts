import { redirect } from "@remix-run/node";

import { isTwoFactorEnabled } from "~/modules/two-factor/two-factor.server";
import { requireUserId } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { httpError } from "~/utils/http-error.server";

/**
 * Returns the signed-in admin's user ID. Every /admin loader and action
 * must call it, because a parent route's loader does not guard its
 * children's. Throws a redirect to /login when no user is signed in, a 404
 * for users without the ADMIN role (so the area's existence is not shown),
 * and a redirect to two-step sign-in setup for admins without it.
 */
export async function requireAdminWithTwoFactor(
  request: Request,
): Promise<string> {
  const userId = await requireUserId(request);
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { role: true },
  });
  if (user?.role !== "ADMIN") {
    throw httpError(404, "Not found");
  }
  if (!(await isTwoFactorEnabled(userId))) {
    throw redirect("/settings/security?required=admin");
  }
  return userId;
}

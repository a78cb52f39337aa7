import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";

import { requireAdminWithTwoFactor } from "~/modules/admin/admin.server";
import { prisma } from "~/utils/db.server";

export { ErrorPage as ErrorBoundary } from "~/components/error-page";

export const meta: MetaFunction = () => [{ title: "Admin · Dokodo" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdminWithTwoFactor(request);
  const [users, admins] = await Promise.all([
    prisma.user.count(),
    prisma.user.count({ where: { role: "ADMIN" } }),
  ]);
  return { users, admins };
}

export default function AdminPage() {
  const { users, admins } = useLoaderData<typeof loader>();
  return (
    <section aria-labelledby="admin-heading" className="space-y-4">
      <h1 id="admin-heading" className="text-2xl font-semibold">
        Admin
      </h1>
      <p className="text-sm text-slate-700" data-testid="admin-summary">
        {users} {users === 1 ? "account" : "accounts"}, {admins}{" "}
        {admins === 1 ? "admin" : "admins"}.
      </p>
    </section>
  );
}

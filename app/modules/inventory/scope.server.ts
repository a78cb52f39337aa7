import type { MembershipRole } from "~/generated/prisma/client";
import { requireUserId } from "~/utils/auth.server";
import { prisma } from "~/utils/db.server";
import { httpError } from "~/utils/http-error.server";

/** One household the signed-in user belongs to, with the role granted. */
export type HouseholdAccess = {
  id: string;
  name: string;
  role: MembershipRole;
};

/**
 * The households whose inventory a request may read. Every inventory query
 * filters on `householdId: { in: householdIds }`, so rows of other
 * households are never loaded.
 */
export type HouseholdScope = {
  userId: string;
  householdIds: string[];
  households: HouseholdAccess[];
  /** Household that receives new items and locations made without a parent. */
  defaultHouseholdId: string;
};

const EDITOR_ROLES: ReadonlySet<MembershipRole> = new Set(["OWNER", "EDITOR"]);

/**
 * Loads the signed-in user's households. Redirects to /login when no user is
 * signed in, and throws a 403 response when the account has no household.
 * The default household is the oldest one the user owns, or the oldest
 * membership of any role when the user owns none.
 */
export async function requireHouseholdScope(
  request: Request,
): Promise<HouseholdScope> {
  const userId = await requireUserId(request);
  const memberships = await prisma.membership.findMany({
    where: { userId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { role: true, household: { select: { id: true, name: true } } },
  });
  const households = memberships.map((membership) => ({
    id: membership.household.id,
    name: membership.household.name,
    role: membership.role,
  }));
  const defaultHousehold =
    households.find((household) => household.role === "OWNER") ?? households[0];
  if (!defaultHousehold) {
    throw httpError(
      403,
      "Your account does not belong to any household, so there is no inventory to show. Ask a household owner to add you.",
    );
  }
  return {
    userId,
    householdIds: households.map((household) => household.id),
    households,
    defaultHouseholdId: defaultHousehold.id,
  };
}

/**
 * Throws a 404 response. Rows outside the user's households get the same
 * response as missing rows, so IDs reveal nothing about other households.
 */
export function notFound(): never {
  throw httpError(404, "Not found");
}

/** Returns whether the user's role in a household allows changes. */
export function canEditHousehold(
  scope: HouseholdScope,
  householdId: string,
): boolean {
  const household = scope.households.find((entry) => entry.id === householdId);
  return household !== undefined && EDITOR_ROLES.has(household.role);
}

/** Returns the IDs of the households where the user may make changes. */
export function editableHouseholdIds(scope: HouseholdScope): string[] {
  return scope.households
    .filter((household) => EDITOR_ROLES.has(household.role))
    .map((household) => household.id);
}

/**
 * Throws a 404 response when the household is not one of the user's, and
 * a 403 response unless the user is an owner or editor of it.
 */
export function requireEditAccess(
  scope: HouseholdScope,
  householdId: string,
): void {
  if (!scope.households.some((household) => household.id === householdId)) {
    throw httpError(404, "Not found");
  }
  if (!canEditHousehold(scope, householdId)) {
    throw httpError(
      403,
      "You can view this household's inventory but not change it. Ask its owner for editor access.",
    );
  }
}

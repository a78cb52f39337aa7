import { prisma } from "~/utils/db.server";

import type { TestClient } from "./client";

/** Returns the ID at the end of a redirect's Location header. */
export function redirectedId(response: Response, prefix: string): string {
  const location = response.headers.get("location") ?? "";
  if (response.status !== 302 || !location.startsWith(prefix)) {
    throw new Error(
      `Expected a 302 redirect to ${prefix}…, got ${response.status} to "${location}"`,
    );
  }
  return location.slice(prefix.length);
}

/** Returns the ID of the household the account with this email owns. */
export async function ownedHouseholdId(email: string): Promise<string> {
  const membership = await prisma.membership.findFirstOrThrow({
    where: { user: { email }, role: "OWNER" },
    select: { householdId: true },
  });
  return membership.householdId;
}

/** Creates a location through the form and returns its ID. */
export async function createLocationViaForm(
  client: TestClient,
  name: string,
  parentId = "",
): Promise<string> {
  const response = await client.postForm("/locations/new", { name, parentId });
  return redirectedId(response, "/locations/");
}

/** Creates an item through the form and returns its ID. */
export async function createItemViaForm(
  client: TestClient,
  fields: {
    name: string;
    description?: string;
    quantity?: string;
    locationId?: string;
    tags?: string;
  },
): Promise<string> {
  const response = await client.postForm("/items/new", {
    name: fields.name,
    description: fields.description ?? "",
    quantity: fields.quantity ?? "1",
    locationId: fields.locationId ?? "",
    tags: fields.tags ?? "",
  });
  return redirectedId(response, "/items/");
}

/** Paths under /items/ that are pages of the list, not of an item. */
const ITEM_LIST_PAGES = new Set(["new", "import", "export"]);

/** Returns the IDs of the item pages linked from a page, in page order. */
export function linkedItemIds(body: string): string[] {
  const ids: string[] = [];
  for (const match of body.matchAll(/href="\/items\/([^"/?]+)"/g)) {
    const id = match[1]!;
    if (!ITEM_LIST_PAGES.has(id) && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

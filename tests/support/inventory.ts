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

const HTML_ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#x27;": "'",
};

function decodeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#x27);/g, (entity) => {
    return HTML_ENTITIES[entity]!;
  });
}

/**
 * Returns the error messages shown for a form field: the list items of the
 * element that the field's aria-describedby names with an "-error" ID. A
 * field without such a list has none. Checks the first input, select or
 * textarea with that name.
 */
export function fieldErrors(body: string, name: string): string[] {
  const field = body.match(
    new RegExp(`<(?:input|select|textarea)\\b[^>]*\\bname="${name}"[^>]*>`),
  );
  if (!field) throw new Error(`The page has no field named "${name}".`);
  const describedBy = field[0].match(/\baria-describedby="([^"]*)"/);
  const errorId = describedBy?.[1]
    ?.split(" ")
    .find((id) => id.endsWith("-error"));
  if (!errorId) return [];
  const start = body.indexOf(`id="${errorId}"`);
  if (start === -1) {
    throw new Error(`Field "${name}" names a missing error list ${errorId}.`);
  }
  const list = body.slice(start, body.indexOf("</ul>", start));
  return [...list.matchAll(/<li>([^<]*)<\/li>/g)].map((match) =>
    decodeHtml(match[1]!),
  );
}

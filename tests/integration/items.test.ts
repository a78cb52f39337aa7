import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { TestClient } from "../support/client";
import { registerAccount } from "../support/client";
import {
  createItemViaForm,
  createLocationViaForm,
  fieldErrors,
  linkedItemIds,
  ownedHouseholdId,
  redirectedId,
} from "../support/inventory";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let client: TestClient;
let householdId: string;

beforeAll(async () => {
  server = await startTestServer();
  client = await registerAccount(server.baseUrl, {
    name: "Ines",
    email: "items@example.com",
  });
  householdId = await ownedHouseholdId("items@example.com");
});

afterAll(async () => {
  await server.close();
});

async function tagNamesOf(itemId: string): Promise<string[]> {
  const links = await prisma.itemTag.findMany({
    where: { itemId },
    include: { tag: true },
  });
  return links.map((link) => link.tag.name).sort();
}

const validFields = {
  name: "Ladder",
  description: "Aluminium, 3 m",
  quantity: "1",
  locationId: "",
  tags: "",
};

describe("creating items", () => {
  it("creates item with tags", async () => {
    const shed = await createLocationViaForm(client, "Tool shed");
    const response = await client.postForm("/items/new", {
      name: "  Cordless drill ",
      description: "18 V, two batteries",
      quantity: "3",
      locationId: shed,
      tags: " Power tools, garden ,power TOOLS,, Garden ",
    });
    expect(response.status).toBe(302);
    const itemId = response.headers.get("location")!.slice("/items/".length);

    const item = await prisma.item.findUniqueOrThrow({ where: { id: itemId } });
    expect(item.name).toBe("Cordless drill");
    expect(item.description).toBe("18 V, two batteries");
    expect(item.quantity).toBe(3);
    expect(item.locationId).toBe(shed);
    expect(item.householdId).toBe(householdId);
    expect(await tagNamesOf(itemId)).toEqual(["Power tools", "garden"]);

    const tags = await prisma.tag.findMany({
      where: { householdId },
      orderBy: { nameKey: "asc" },
    });
    expect(tags.map((tag) => tag.nameKey)).toEqual(["garden", "power tools"]);

    const { response: page, body } = await client.get(`/items/${itemId}`);
    expect(page.status).toBe(200);
    expect(body).toContain("Cordless drill");
    expect(body).toContain("18 V, two batteries");
    expect(body).toMatch(
      new RegExp(`href="/locations/${shed}"[^>]*>Tool shed</a>`),
    );
    expect(body).toContain('href="/items?tag=Power+tools"');
    expect(body).toContain(`href="/items/${itemId}/edit"`);
  });

  it("reuses tags ignoring case", async () => {
    const first = await createItemViaForm(client, {
      name: "Spade",
      tags: "Digging",
    });
    const second = await createItemViaForm(client, {
      name: "Trowel",
      tags: "DIGGING, hand tools",
    });
    expect(await tagNamesOf(first)).toEqual(["Digging"]);
    expect(await tagNamesOf(second)).toEqual(["Digging", "hand tools"]);
    expect(
      await prisma.tag.count({ where: { householdId, nameKey: "digging" } }),
    ).toBe(1);
  });

  it("shares a concurrently created tag", async () => {
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        client.postForm("/items/new", {
          ...validFields,
          name: `Racer ${index}`,
          tags: index % 2 === 0 ? "Brand new tag" : "BRAND NEW TAG",
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([
      302, 302, 302, 302, 302,
    ]);
    const tags = await prisma.tag.findMany({
      where: { householdId, nameKey: "brand new tag" },
      include: { _count: { select: { items: true } } },
    });
    expect(tags).toHaveLength(1);
    expect(tags[0]!._count.items).toBe(5);
  });

  it("defaults quantity to one", async () => {
    const response = await client.postForm("/items/new", {
      ...validFields,
      name: "Umbrella",
      quantity: "",
    });
    expect(response.status).toBe(302);
    const item = await prisma.item.findFirstOrThrow({
      where: { name: "Umbrella" },
    });
    expect(item.quantity).toBe(1);
    expect(await tagNamesOf(item.id)).toEqual([]);
  });

  it("accepts quantity bounds", async () => {
    for (const quantity of ["0", "1000000"]) {
      const id = await createItemViaForm(client, {
        name: `Bound ${quantity}`,
        quantity,
      });
      const item = await prisma.item.findUniqueOrThrow({ where: { id } });
      expect(item.quantity).toBe(Number(quantity));
    }
  });

  it("preselects location from query", async () => {
    const hall = await createLocationViaForm(client, "Hallway");
    const { response, body } = await client.get(
      `/items/new?locationId=${hall}`,
    );
    expect(response.status).toBe(200);
    expect(body).toContain(
      `<option value="${hall}" selected="">Hallway</option>`,
    );
  });
});

describe("item form validation", () => {
  it("rejects invalid fields and keeps entries", async () => {
    const before = await prisma.item.count();
    const response = await client.postForm("/items/new", {
      name: "   ",
      description: "d".repeat(5001),
      quantity: "2.5",
      locationId: "",
      tags: "keep-me, other",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain("Enter a name for the item.");
    expect(body).toContain(
      "Shorten the description to at most 5,000 characters. It has 5,001.",
    );
    expect(body).toContain(
      "Enter the quantity as a whole number from 0 to 1,000,000.",
    );
    expect(body).toContain('value="keep-me, other"');
    expect(body).toContain('value="2.5"');
    expect(await prisma.item.count()).toBe(before);
  });

  it("rejects bad quantities", async () => {
    for (const quantity of ["-1", "abc", "1000001", "1e3"]) {
      const response = await client.postForm("/items/new", {
        ...validFields,
        quantity,
      });
      expect(response.status, quantity).toBe(400);
      expect(await response.text()).toContain(
        "Enter the quantity as a whole number from 0 to 1,000,000.",
      );
    }
  });

  it("rejects long names and tags", async () => {
    const longName = await client.postForm("/items/new", {
      ...validFields,
      name: "n".repeat(201),
    });
    expect(longName.status).toBe(400);
    expect(await longName.text()).toContain(
      "Use an item name of at most 200 characters.",
    );

    const longTag = await client.postForm("/items/new", {
      ...validFields,
      tags: `ok, ${"t".repeat(51)}`,
    });
    expect(longTag.status).toBe(400);
    expect(await longTag.text()).toContain(
      `Shorten the tag “${"t".repeat(20)}…” to at most 50 characters. It has 51.`,
    );

    const manyTags = Array.from({ length: 21 }, (_, index) => `tag${index}`);
    const tooMany = await client.postForm("/items/new", {
      ...validFields,
      tags: manyTags.join(","),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain(
      "Use at most 20 tags. This list has 21.",
    );
  });

  it("treats an invisible name as empty", async () => {
    const response = await client.postForm("/items/new", {
      ...validFields,
      name: "\u200B \u2060",
      description: "Kept",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "name")).toEqual(["Enter a name for the item."]);
    expect(body).toContain(">Kept</textarea>");
    expect(
      await prisma.item.count({ where: { householdId, description: "Kept" } }),
    ).toBe(0);
  });

  it("rejects the CSV tag separator", async () => {
    const response = await client.postForm("/items/new", {
      ...validFields,
      name: "Hedge trimmer",
      tags: "garden; tools, power",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "tags")).toEqual([
      "Remove “;” from the tag “garden; tools”. CSV files use it to separate tags, so use a comma to make two tags, or another character such as “-”.",
    ]);
    expect(body).toContain('value="garden; tools, power"');
    expect(body).toContain('value="Hedge trimmer"');
    expect(await prisma.item.count({ where: { name: "Hedge trimmer" } })).toBe(
      0,
    );
  });

  it("counts tags after removing duplicates", async () => {
    const tags = [
      ...Array.from({ length: 20 }, (_, index) => `label${index}`),
      "LABEL0",
      " label1 ",
    ];
    const id = await createItemViaForm(client, {
      name: "Many labels",
      tags: tags.join(","),
    });
    expect(await tagNamesOf(id)).toHaveLength(20);
  });

  it("rejects an unknown location", async () => {
    const response = await client.postForm("/items/new", {
      ...validFields,
      name: "Lost thing",
      locationId: "no-such-location",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain("Choose a location from the list.");
    expect(body).toContain('value="Lost thing"');
    expect(await prisma.item.count({ where: { name: "Lost thing" } })).toBe(0);
  });
});

describe("editing and deleting items", () => {
  it("prefills the edit form", async () => {
    const pantry = await createLocationViaForm(client, "Pantry");
    const id = await createItemViaForm(client, {
      name: "Flour",
      description: "Wheat",
      quantity: "2",
      locationId: pantry,
      tags: "Baking, food",
    });
    const { response, body } = await client.get(`/items/${id}/edit`);
    expect(response.status).toBe(200);
    expect(body).toContain('value="Flour"');
    expect(body).toContain(">Wheat</textarea>");
    expect(body).toContain('value="2"');
    expect(body).toContain(
      `<option value="${pantry}" selected="">Pantry</option>`,
    );
    expect(body).toContain('value="Baking, food"');
  });

  it("updates fields and replaces tags", async () => {
    const id = await createItemViaForm(client, {
      name: "Tent",
      quantity: "1",
      tags: "camping, summer",
    });
    const loft = await createLocationViaForm(client, "Loft");
    const response = await client.postForm(`/items/${id}/edit`, {
      name: "Tent (4 person)",
      description: "Green",
      quantity: "2",
      locationId: loft,
      tags: "Camping, outdoor",
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/items/${id}`);

    const item = await prisma.item.findUniqueOrThrow({ where: { id } });
    expect(item.name).toBe("Tent (4 person)");
    expect(item.description).toBe("Green");
    expect(item.quantity).toBe(2);
    expect(item.locationId).toBe(loft);
    expect(await tagNamesOf(id)).toEqual(["camping", "outdoor"]);
    expect(await prisma.itemTag.count({ where: { itemId: id } })).toBe(2);
  });

  it("clears location and tags", async () => {
    const garage = await createLocationViaForm(client, "Car garage");
    const id = await createItemViaForm(client, {
      name: "Tyres",
      locationId: garage,
      tags: "car",
    });
    const response = await client.postForm(`/items/${id}/edit`, {
      ...validFields,
      name: "Tyres",
    });
    expect(response.status).toBe(302);
    const item = await prisma.item.findUniqueOrThrow({ where: { id } });
    expect(item.locationId).toBeNull();
    expect(await tagNamesOf(id)).toEqual([]);
  });

  it("rejects invalid edits unchanged", async () => {
    const id = await createItemViaForm(client, {
      name: "Kayak",
      quantity: "1",
    });
    const response = await client.postForm(`/items/${id}/edit`, {
      ...validFields,
      name: "Kayak renamed",
      quantity: "many",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain(
      "Enter the quantity as a whole number from 0 to 1,000,000.",
    );
    expect(body).toContain('value="Kayak renamed"');
    const item = await prisma.item.findUniqueOrThrow({ where: { id } });
    expect(item.name).toBe("Kayak");
  });

  it("deletes item with audit row", async () => {
    const house = await createLocationViaForm(client, "Manor");
    const cellar = await createLocationViaForm(client, "Wine cellar", house);
    const parent = await createItemViaForm(client, { name: "Wine rack" });
    const response = await client.postForm("/items/new", {
      name: "Old bottle",
      description: "Vintage 1990",
      quantity: "6",
      locationId: cellar,
      tags: "wine, Gift",
      manufacturer: "Château X",
      modelNumber: "Grand cru",
      serialNumber: "LOT-7",
      assetId: "000-042",
      url: "https://example.com/wine",
      notes: "Lying down",
      purchaseFrom: "Wine shop",
      purchasePrice: "120.50",
      purchaseDate: "2024-03-15",
      warrantyExpires: "",
      lifetimeWarranty: "true",
      warrantyDetails: "None",
      insured: "true",
      soldTo: "",
      soldPrice: "5",
      soldDate: "",
      soldNotes: "",
      customFieldName: ["Region", "Colour"],
      customFieldValue: ["Bordeaux", "Red"],
    });
    const id = redirectedId(response, "/items/");
    const part = await createItemViaForm(client, { name: "Cork" });
    await prisma.item.update({ where: { id }, data: { parentId: parent } });
    await prisma.item.update({ where: { id: part }, data: { parentId: id } });
    const stored = await prisma.item.findUniqueOrThrow({ where: { id } });

    const deleted = await client.postForm(`/items/${id}`, {
      intent: "delete",
    });
    expect(deleted.status).toBe(302);
    expect(deleted.headers.get("location")).toBe("/items");
    expect(await prisma.item.count({ where: { id } })).toBe(0);
    expect(await prisma.itemTag.count({ where: { itemId: id } })).toBe(0);
    expect(await prisma.itemField.count({ where: { itemId: id } })).toBe(0);
    const orphan = await prisma.item.findUniqueOrThrow({ where: { id: part } });
    expect(orphan.parentId).toBeNull();

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "items@example.com" },
    });
    const events = await prisma.auditLog.findMany({
      where: { action: "ITEM_DELETED", targetId: id },
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.actorId).toBe(user.id);
    expect(events[0]!.targetType).toBe("Item");
    expect(events[0]!.newValues).toBeNull();
    expect(events[0]!.oldValues).toEqual({
      name: "Old bottle",
      description: "Vintage 1990",
      quantity: 6,
      location: { id: cellar, path: ["Manor", "Wine cellar"] },
      parentId: parent,
      partIds: [part],
      tags: ["Gift", "wine"],
      customFields: [
        { name: "Colour", value: "Red" },
        { name: "Region", value: "Bordeaux" },
      ],
      importRef: null,
      createdAt: stored.createdAt.toISOString(),
      updatedAt: stored.updatedAt.toISOString(),
      manufacturer: "Château X",
      modelNumber: "Grand cru",
      serialNumber: "LOT-7",
      assetId: 42,
      url: "https://example.com/wine",
      notes: "Lying down",
      purchaseFrom: "Wine shop",
      purchasePrice: { minorUnits: 12050, currency: "USD" },
      purchaseDate: "2024-03-15",
      warrantyExpires: null,
      lifetimeWarranty: true,
      warrantyDetails: "None",
      insured: true,
      soldTo: "",
      soldPrice: { minorUnits: 500, currency: "USD" },
      soldDate: null,
      soldNotes: "",
      archived: false,
    });

    const { response: gone } = await client.get(`/items/${id}`);
    expect(gone.status).toBe(404);
  });

  it("records a bare item on delete", async () => {
    const id = await createItemViaForm(client, { name: "Plain box" });
    const response = await client.postForm(`/items/${id}`, {
      intent: "delete",
    });
    expect(response.status).toBe(302);
    const event = await prisma.auditLog.findFirstOrThrow({
      where: { action: "ITEM_DELETED", targetId: id },
    });
    expect(event.oldValues).toMatchObject({
      name: "Plain box",
      location: null,
      parentId: null,
      partIds: [],
      tags: [],
      customFields: [],
      purchasePrice: null,
      soldPrice: null,
      assetId: null,
      insured: false,
    });
  });

  it("rejects an unknown intent", async () => {
    const id = await createItemViaForm(client, { name: "Lamp" });
    const response = await client.postForm(`/items/${id}`, {
      intent: "archive",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Unknown form action.");
    expect(await prisma.item.count({ where: { id } })).toBe(1);
  });
});

describe("searching items", () => {
  let searcher: TestClient;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    searcher = await registerAccount(server.baseUrl, {
      email: "search@example.com",
    });
    const house = await createLocationViaForm(searcher, "House");
    const garage = await createLocationViaForm(searcher, "Garage", house);
    const shelf = await createLocationViaForm(searcher, "Shelf", garage);
    const office = await createLocationViaForm(searcher, "Office");
    ids.house = house;
    ids.garage = garage;
    ids.shelf = shelf;
    ids.office = office;

    ids.drill = await createItemViaForm(searcher, {
      name: "Cordless Drill",
      description: "Yellow, 18 V",
      locationId: shelf,
      tags: "Power tools",
    });
    ids.hammer = await createItemViaForm(searcher, {
      name: "Claw hammer",
      description: "Kept next to the DRILL bits",
      locationId: garage,
      tags: "hand tools",
    });
    ids.hose = await createItemViaForm(searcher, {
      name: "Garden hose",
      locationId: house,
      tags: "Outdoor, garden",
    });
    ids.stapler = await createItemViaForm(searcher, {
      name: "Stapler",
      locationId: office,
    });
    ids.percent = await createItemViaForm(searcher, {
      name: "Shirt 100% cotton",
    });
    ids.underscore = await createItemViaForm(searcher, {
      name: "Cable_tie",
    });
    ids.backslash = await createItemViaForm(searcher, {
      name: "Folder a\\b",
    });
  });

  async function search(query: string): Promise<string[]> {
    const { response, body } = await searcher.get(`/items?${query}`);
    expect(response.status, query).toBe(200);
    return linkedItemIds(body).sort();
  }

  it("matches name and description", async () => {
    expect(await search("q=drill")).toEqual([ids.drill, ids.hammer].sort());
    expect(await search("q=DrIlL")).toEqual([ids.drill, ids.hammer].sort());
    expect(await search("q=yellow")).toEqual([ids.drill]);
  });

  it("matches tag names", async () => {
    expect(await search("q=OUTDOOR")).toEqual([ids.hose]);
    expect(await search("q=tools")).toEqual([ids.drill, ids.hammer].sort());
  });

  it("treats wildcards as text", async () => {
    expect(await search("q=%25")).toEqual([ids.percent]);
    expect(await search("q=e_t")).toEqual([ids.underscore]);
    expect(await search("q=a%5Cb")).toEqual([ids.backslash]);
  });

  it("filters by tag", async () => {
    expect(await search("tag=garden")).toEqual([ids.hose]);
    expect(await search("tag=POWER+TOOLS")).toEqual([ids.drill]);
    expect(await search("tag=unknown")).toEqual([]);
  });

  it("filters by nested location", async () => {
    expect(await search(`locationId=${ids.house}`)).toEqual(
      [ids.drill, ids.hammer, ids.hose].sort(),
    );
    expect(await search(`locationId=${ids.garage}`)).toEqual(
      [ids.drill, ids.hammer].sort(),
    );
    expect(await search(`locationId=${ids.shelf}`)).toEqual([ids.drill]);
    expect(await search(`locationId=${ids.office}`)).toEqual([ids.stapler]);
  });

  it("combines search and filters", async () => {
    expect(
      await search(`q=tools&locationId=${ids.garage}&tag=hand+tools`),
    ).toEqual([ids.hammer]);
    expect(await search(`q=hose&locationId=${ids.garage}`)).toEqual([]);
  });

  it("shows counts and location path", async () => {
    const { body } = await searcher.get(`/items?locationId=${ids.garage}`);
    expect(body).toContain("2 items in House › Garage · page 1 of 1");
    expect(body).toContain("House › Garage › Shelf");
  });

  it("shows the empty states", async () => {
    const { body: noMatch } = await searcher.get("/items?q=zeppelin");
    expect(noMatch).toContain("No items match these filters.");

    const fresh = await registerAccount(server.baseUrl, {
      email: "no-items@example.com",
    });
    const { response, body } = await fresh.get("/items");
    expect(response.status).toBe(200);
    expect(body).toContain("No items yet.");
    expect(body).toContain("Add your first item");
  });
});

describe("item list pagination", () => {
  let pager: TestClient;
  const names: string[] = [];

  beforeAll(async () => {
    pager = await registerAccount(server.baseUrl, {
      email: "pages@example.com",
    });
    const pagerHousehold = await ownedHouseholdId("pages@example.com");
    const start = Date.now();
    // Item n was changed n minutes ago, so the newest-first order is known.
    for (let index = 0; index < 30; index += 1) {
      names.push(`Box ${String(index + 1).padStart(2, "0")}`);
    }
    await prisma.item.createMany({
      data: names.map((name, index) => ({
        householdId: pagerHousehold,
        name,
        updatedAt: new Date(start - index * 60_000),
      })),
    });
  });

  async function namesOnPage(query: string): Promise<string[]> {
    const { response, body } = await pager.get(`/items?${query}`);
    expect(response.status, query).toBe(200);
    const items = await prisma.item.findMany({
      where: { id: { in: linkedItemIds(body) } },
    });
    return items.map((item) => item.name).sort();
  }

  it("splits results into pages", async () => {
    expect(await namesOnPage("")).toEqual(names.slice(0, 25));
    expect(await namesOnPage("page=2")).toEqual(names.slice(25));

    const { body } = await pager.get("/items?page=2");
    expect(body).toContain("30 items · page 2 of 2");
    expect(body).toContain('href="/items?page=1"');
    expect(body).toMatch(/<span aria-current="page"[^>]*>2<\/span>/);
  });

  it("keeps filters in page links", async () => {
    const { body } = await pager.get("/items?q=box");
    expect(body).toContain("30 items · page 1 of 2");
    expect(body).toContain('href="/items?q=box&amp;page=2"');
  });

  it("redirects past the last page", async () => {
    const response = await pager.request("/items?q=box&page=9");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/items?q=box&page=2");
  });

  it("rejects invalid query values", async () => {
    const cases: [string, string][] = [
      [
        "page=abc",
        "The page number “abc” is invalid. Use a whole number from 1 to 999,999.",
      ],
      [
        "page=0",
        "The page number “0” is invalid. Use a whole number from 1 to 999,999.",
      ],
      [
        "page=-2",
        "The page number “-2” is invalid. Use a whole number from 1 to 999,999.",
      ],
      [
        "page=1.5",
        "The page number “1.5” is invalid. Use a whole number from 1 to 999,999.",
      ],
      [
        "locationId=no-such-location",
        "The location filter does not match any of your locations. Pick a location from the list or clear the filter.",
      ],
      [
        `q=${"q".repeat(201)}`,
        "Shorten the search text to at most 200 characters.",
      ],
      [
        `tag=${"t".repeat(51)}`,
        "Shorten the tag filter to at most 50 characters, the maximum length of a tag name.",
      ],
    ];
    for (const [query, message] of cases) {
      const { response, body } = await pager.get(`/items?${query}`);
      expect(response.status, query).toBe(400);
      expect(body, query).toContain(message);
      expect(linkedItemIds(body), query).toEqual([]);
    }
  });
});

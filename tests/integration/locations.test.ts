import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { TestClient } from "../support/client";
import {
  registerAccount,
  TestClient as AnonymousClient,
} from "../support/client";
import {
  createLocationViaForm,
  fieldErrors,
  ownedHouseholdId,
} from "../support/inventory";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let client: TestClient;
let householdId: string;

beforeAll(async () => {
  server = await startTestServer();
  client = await registerAccount(server.baseUrl, {
    name: "Lena",
    email: "locations@example.com",
  });
  householdId = await ownedHouseholdId("locations@example.com");
});

afterAll(async () => {
  await server.close();
});

async function addItems(locationId: string, count: number, prefix: string) {
  await prisma.item.createMany({
    data: Array.from({ length: count }, (_, index) => ({
      householdId,
      locationId,
      name: `${prefix} ${index + 1}`,
    })),
  });
}

/** Inserts a chain of nested locations, top first, and returns their IDs. */
async function createChain(
  prefix: string,
  levels: number,
  parentId: string | null = null,
): Promise<string[]> {
  const ids: string[] = [];
  for (let level = 1; level <= levels; level += 1) {
    const location = await prisma.location.create({
      data: {
        householdId,
        parentId: ids.at(-1) ?? parentId,
        name: `${prefix} ${level}`,
      },
    });
    ids.push(location.id);
  }
  return ids;
}

/**
 * Holds FOR UPDATE locks on some location rows until `release` is called.
 * A request that writes one of these rows, or inserts a child under one,
 * waits at that statement, after the checks it ran before it.
 */
async function holdLocationRows(ids: string[]) {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let signalLocked = () => {};
  const locked = new Promise<void>((resolve) => (signalLocked = resolve));
  const holder = prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`
        SELECT id FROM "Location" WHERE id = ANY(${ids}::text[]) FOR UPDATE`;
      signalLocked();
      await released;
    },
    { timeout: 15_000 },
  );
  await locked;
  return {
    release: async () => {
      release();
      await holder;
    },
  };
}

const SLASH_MESSAGE =
  "Remove “/” from the name. Location paths use it to separate locations, as in “House / Garage”, so use another character, such as “-” or “|”.";

async function parentOf(locationId: string): Promise<string | null> {
  const location = await prisma.location.findUniqueOrThrow({
    where: { id: locationId },
  });
  return location.parentId;
}

describe("location pages", () => {
  it("redirect anonymous visitors to sign-in", async () => {
    const anonymous = new AnonymousClient(server.baseUrl);
    for (const path of ["/locations", "/locations/new"]) {
      const response = await anonymous.request(path);
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe(
        `/login?redirectTo=${encodeURIComponent(path)}`,
      );
    }
  });

  it("show an empty state first", async () => {
    const fresh = await registerAccount(server.baseUrl, {
      email: "empty-locations@example.com",
    });
    const { response, body } = await fresh.get("/locations");
    expect(response.status).toBe(200);
    expect(body).toContain("No locations yet.");
    expect(body).toContain('href="/locations/new"');
  });
});

describe("creating locations", () => {
  it("creates nested locations with paths", async () => {
    const house = await createLocationViaForm(client, "  House  ");
    const garage = await createLocationViaForm(client, "Garage", house);
    const shelf = await createLocationViaForm(client, "Shelf", garage);

    const rows = await prisma.location.findMany({
      where: { id: { in: [house, garage, shelf] } },
    });
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(house)!.name).toBe("House");
    expect(byId.get(house)!.parentId).toBeNull();
    expect(byId.get(garage)!.parentId).toBe(house);
    expect(byId.get(shelf)!.parentId).toBe(garage);
    for (const row of rows) expect(row.householdId).toBe(householdId);

    const { body } = await client.get("/locations/new");
    expect(body).toContain(`<option value="${garage}">House › Garage</option>`);
    expect(body).toContain(
      `<option value="${shelf}">House › Garage › Shelf</option>`,
    );
  });

  it("preselects the parent from query", async () => {
    const attic = await createLocationViaForm(client, "Attic");
    const { response, body } = await client.get(
      `/locations/new?parentId=${attic}`,
    );
    expect(response.status).toBe(200);
    expect(body).toContain(
      `<option value="${attic}" selected="">Attic</option>`,
    );
  });

  it("ignores an unknown parent in query", async () => {
    const { response, body } = await client.get(
      "/locations/new?parentId=does-not-exist",
    );
    expect(response.status).toBe(200);
    expect(body).toContain('<option value="" selected="">Top level</option>');
    expect(body).not.toContain('value="does-not-exist"');
  });

  it("rejects invalid fields and keeps entries", async () => {
    const before = await prisma.location.count();

    const blank = await client.postForm("/locations/new", {
      name: "   ",
      parentId: "",
    });
    expect(blank.status).toBe(400);
    expect(await blank.text()).toContain("Enter a name for the location.");

    const long = await client.postForm("/locations/new", {
      name: "x".repeat(101),
      parentId: "",
    });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain(
      "Use a location name of at most 100 characters.",
    );

    const unknownParent = await client.postForm("/locations/new", {
      name: "Cellar",
      parentId: "no-such-location",
    });
    expect(unknownParent.status).toBe(400);
    const body = await unknownParent.text();
    expect(body).toContain("Choose a location from the list.");
    expect(body).toContain('value="Cellar"');

    expect(await prisma.location.count()).toBe(before);
  });

  it("rejects a slash in the name", async () => {
    const parent = await createLocationViaForm(client, "Study room");
    const response = await client.postForm("/locations/new", {
      name: "Shelf 1/2",
      parentId: parent,
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "name")).toEqual([SLASH_MESSAGE]);
    expect(fieldErrors(body, "parentId")).toEqual([]);
    expect(body).toContain('value="Shelf 1/2"');
    expect(body).toContain(
      `<option value="${parent}" selected="">Study room</option>`,
    );
    expect(await prisma.location.count({ where: { parentId: parent } })).toBe(
      0,
    );
  });

  it("treats invisible names as empty", async () => {
    const before = await prisma.location.count();
    for (const name of ["\u200B", "\u200B \u2060\uFEFF", "\u3164"]) {
      const response = await client.postForm("/locations/new", {
        name,
        parentId: "",
      });
      expect(response.status, JSON.stringify(name)).toBe(400);
      expect(fieldErrors(await response.text(), "name")).toEqual([
        "Enter a name for the location.",
      ]);
    }
    expect(await prisma.location.count()).toBe(before);
  });
});

describe("location nesting depth", () => {
  it("allows 20 levels on create", async () => {
    const chain = await createChain("Create depth", 19);
    const response = await client.postForm("/locations/new", {
      name: "Level 20",
      parentId: chain.at(-1)!,
    });
    expect(response.status).toBe(302);
  });

  it("rejects level 21 on create", async () => {
    const chain = await createChain("Deep", 20);
    const response = await client.postForm("/locations/new", {
      name: "Level 21",
      parentId: chain.at(-1)!,
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "parentId")).toEqual([
      "“Deep 20” is at level 20, so a location inside it would be at level 21. Locations can be nested at most 20 levels deep, the longest location path that CSV import accepts. Choose a location nearer the top level.",
    ]);
    expect(body).toContain('value="Level 21"');
    expect(await prisma.location.count({ where: { name: "Level 21" } })).toBe(
      0,
    );
  });

  it("counts the moved subtree", async () => {
    const target = await createChain("Target", 17);
    const subtree = await createChain("Subtree", 5);

    const tooDeep = await client.postForm(`/locations/${subtree[0]}`, {
      intent: "move",
      parentId: target[16]!,
    });
    expect(tooDeep.status).toBe(400);
    expect(fieldErrors(await tooDeep.text(), "parentId")).toEqual([
      "Moving “Subtree 1” into “Target 17” would nest locations 22 levels deep, because “Target 17” is at level 17 and “Subtree 1” with its sub-locations spans 5 levels. Locations can be nested at most 20 levels deep, the longest location path that CSV import accepts. Choose a location nearer the top level.",
    ]);
    expect(await parentOf(subtree[0]!)).toBeNull();

    const fits = await client.postForm(`/locations/${subtree[0]}`, {
      intent: "move",
      parentId: target[14]!,
    });
    expect(fits.status).toBe(302);
    expect(await parentOf(subtree[0]!)).toBe(target[14]);
  });

  it("rejects concurrent moves nesting too deep", async () => {
    // Each move alone gives 5 + 10 = 15 levels, and together 5 + 10 + 10.
    const base = await createChain("Base", 5);
    const upper = await createChain("Upper", 10);
    const lower = await createChain("Lower", 10);

    const rowLocks = await holdLocationRows([upper[0]!, lower[0]!]);
    const moves = Promise.all([
      client.postForm(`/locations/${upper[0]}`, {
        intent: "move",
        parentId: base[4]!,
      }),
      client.postForm(`/locations/${lower[0]}`, {
        intent: "move",
        parentId: upper[9]!,
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await rowLocks.release();
    const [first, second] = await moves;

    expect([first.status, second.status].sort()).toEqual([302, 400]);
    const rejected = first.status === 400 ? first : second;
    const [message] = fieldErrors(await rejected.text(), "parentId");
    expect(message).toMatch(/ would nest locations 25 levels deep, /);
    const movedCount =
      Number((await parentOf(upper[0]!)) === base[4]) +
      Number((await parentOf(lower[0]!)) === upper[9]);
    expect(movedCount).toBe(1);
  });
});

describe("sibling location names", () => {
  it("rejects a duplicate ignoring case", async () => {
    const closet = await createLocationViaForm(client, "Hall closet");
    await createLocationViaForm(client, "Shoe box", closet);

    const response = await client.postForm("/locations/new", {
      name: "SHOE BOX",
      parentId: closet,
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "name")).toEqual([
      "“Hall closet” already contains a location named “Shoe box”, and locations in the same place need names that differ by more than case. Choose another name.",
    ]);
    expect(body).toContain('value="SHOE BOX"');
    expect(await prisma.location.count({ where: { parentId: closet } })).toBe(
      1,
    );
  });

  it("rejects a duplicate top-level name", async () => {
    await createLocationViaForm(client, "Boathouse");
    const response = await client.postForm("/locations/new", {
      name: "boathouse",
      parentId: "",
    });
    expect(response.status).toBe(400);
    expect(fieldErrors(await response.text(), "name")).toEqual([
      "There is already a top-level location named “Boathouse”, and locations in the same place need names that differ by more than case. Choose another name.",
    ]);
    expect(
      await prisma.location.count({
        where: {
          householdId,
          name: { equals: "boathouse", mode: "insensitive" },
        },
      }),
    ).toBe(1);
  });

  it("allows the name under other parents", async () => {
    const east = await createLocationViaForm(client, "East room");
    const west = await createLocationViaForm(client, "West room");
    await createLocationViaForm(client, "Cupboard A", east);
    const response = await client.postForm("/locations/new", {
      name: "Cupboard A",
      parentId: west,
    });
    expect(response.status).toBe(302);
  });

  it("checks renames against siblings", async () => {
    const room = await createLocationViaForm(client, "Guest room");
    const bed = await createLocationViaForm(client, "Bed", room);
    const desk = await createLocationViaForm(client, "Writing desk", room);

    const clash = await client.postForm(`/locations/${desk}`, {
      intent: "rename",
      name: "BED",
    });
    expect(clash.status).toBe(400);
    const body = await clash.text();
    expect(fieldErrors(body, "name")).toEqual([
      "“Guest room” already contains a location named “Bed”, and locations in the same place need names that differ by more than case. Choose another name.",
    ]);
    expect(body).toContain('value="BED"');
    const row = await prisma.location.findUniqueOrThrow({
      where: { id: desk },
    });
    expect(row.name).toBe("Writing desk");

    const ownCase = await client.postForm(`/locations/${bed}`, {
      intent: "rename",
      name: "BED",
    });
    expect(ownCase.status).toBe(302);
    const renamed = await prisma.location.findUniqueOrThrow({
      where: { id: bed },
    });
    expect(renamed.name).toBe("BED");
  });

  it("checks moves against siblings", async () => {
    const garden = await createLocationViaForm(client, "Garden");
    await createLocationViaForm(client, "Tool box", garden);
    const looseBox = await createLocationViaForm(client, "tool BOX");

    const response = await client.postForm(`/locations/${looseBox}`, {
      intent: "move",
      parentId: garden,
    });
    expect(response.status).toBe(400);
    expect(fieldErrors(await response.text(), "parentId")).toEqual([
      "“Garden” already contains a location named “Tool box”, and locations in the same place need names that differ by more than case. Rename “tool BOX” first, or choose another location.",
    ]);
    expect(await parentOf(looseBox)).toBeNull();
  });

  it("lets one of two parallel creates win", async () => {
    const parent = await createLocationViaForm(client, "Race parent");
    // Both inserts wait on the parent row, after their name checks. Without
    // the tree lock both checks would find no sibling and both rows stay.
    const rowLocks = await holdLocationRows([parent]);
    const creates = Promise.all(
      ["Box", "box"].map((name) =>
        client.postForm("/locations/new", { name, parentId: parent }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await rowLocks.release();
    const responses = await creates;

    expect(responses.map((response) => response.status).sort()).toEqual([
      302, 400,
    ]);
    const winner = await prisma.location.findFirstOrThrow({
      where: { parentId: parent },
    });
    const loser = responses.find((response) => response.status === 400)!;
    expect(fieldErrors(await loser.text(), "name")).toEqual([
      `“Race parent” already contains a location named “${winner.name}”, and locations in the same place need names that differ by more than case. Choose another name.`,
    ]);
    expect(await prisma.location.count({ where: { parentId: parent } })).toBe(
      1,
    );
  });
});

describe("location tree", () => {
  it("lists nesting with item counts", async () => {
    const home = await createLocationViaForm(client, "Cabin");
    const kitchen = await createLocationViaForm(client, "Kitchen", home);
    const drawer = await createLocationViaForm(client, "Drawer", kitchen);
    await addItems(kitchen, 1, "Kettle");
    await addItems(drawer, 2, "Spoon");

    const { response, body } = await client.get("/locations");
    expect(response.status).toBe(200);
    expect(body).toMatch(
      new RegExp(
        `href="/locations/${home}"[^>]*>Cabin</a><span[^>]*>0 items, 3 including sub-locations</span>`,
      ),
    );
    expect(body).toMatch(
      new RegExp(
        `href="/locations/${kitchen}"[^>]*>Kitchen</a><span[^>]*>1 item, 3 including sub-locations</span>`,
      ),
    );
    expect(body).toMatch(
      new RegExp(
        `href="/locations/${drawer}"[^>]*>Drawer</a><span[^>]*>2 items</span>`,
      ),
    );
    expect(body.indexOf(`/locations/${home}"`)).toBeLessThan(
      body.indexOf(`/locations/${kitchen}"`),
    );
    expect(body.indexOf(`/locations/${kitchen}"`)).toBeLessThan(
      body.indexOf(`/locations/${drawer}"`),
    );
  });

  it("shows breadcrumb, children and items", async () => {
    const shed = await createLocationViaForm(client, "Shed");
    const rack = await createLocationViaForm(client, "Rack", shed);
    const bin = await createLocationViaForm(client, "Bin", rack);
    await addItems(rack, 1, "Rake");

    const { response, body } = await client.get(`/locations/${rack}`);
    expect(response.status).toBe(200);
    expect(body).toContain('aria-label="Breadcrumb"');
    expect(body).toMatch(new RegExp(`href="/locations/${shed}"[^>]*>Shed</a>`));
    expect(body).toContain('<span aria-current="page">Rack</span>');
    expect(body).toMatch(new RegExp(`href="/locations/${bin}"[^>]*>Bin</a>`));
    expect(body).toContain("Rake 1");
    expect(body).toContain(`/items/new?locationId=${rack}`);
    expect(body).toContain(`/locations/new?parentId=${rack}`);
  });

  it("returns 404 for unknown IDs", async () => {
    const { response } = await client.get("/locations/no-such-location");
    expect(response.status).toBe(404);
  });
});

describe("renaming and moving", () => {
  it("renames a location", async () => {
    const porch = await createLocationViaForm(client, "Porch");
    const response = await client.postForm(`/locations/${porch}`, {
      intent: "rename",
      name: " Front porch ",
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/locations/${porch}`);
    const row = await prisma.location.findUniqueOrThrow({
      where: { id: porch },
    });
    expect(row.name).toBe("Front porch");
  });

  it("rejects a slash or invisible new name", async () => {
    const attic = await createLocationViaForm(client, "Attic room");
    for (const [name, message] of [
      ["Attic/loft", SLASH_MESSAGE],
      ["\u200B\u200B", "Enter a name for the location."],
    ] as const) {
      const response = await client.postForm(`/locations/${attic}`, {
        intent: "rename",
        name,
      });
      expect(response.status, name).toBe(400);
      expect(fieldErrors(await response.text(), "name")).toEqual([message]);
    }
    const row = await prisma.location.findUniqueOrThrow({
      where: { id: attic },
    });
    expect(row.name).toBe("Attic room");
  });

  it("rejects a blank new name", async () => {
    const hall = await createLocationViaForm(client, "Hall");
    const response = await client.postForm(`/locations/${hall}`, {
      intent: "rename",
      name: "",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Enter a name for the location.");
    const row = await prisma.location.findUniqueOrThrow({
      where: { id: hall },
    });
    expect(row.name).toBe("Hall");
  });

  it("moves under a parent and back", async () => {
    const loft = await createLocationViaForm(client, "Loft");
    const box = await createLocationViaForm(client, "Box");

    const moved = await client.postForm(`/locations/${box}`, {
      intent: "move",
      parentId: loft,
    });
    expect(moved.status).toBe(302);
    expect(moved.headers.get("location")).toBe(`/locations/${box}`);
    expect(await parentOf(box)).toBe(loft);

    const backToTop = await client.postForm(`/locations/${box}`, {
      intent: "move",
      parentId: "",
    });
    expect(backToTop.status).toBe(302);
    expect(await parentOf(box)).toBeNull();
  });

  it("rejects moving into itself", async () => {
    const closet = await createLocationViaForm(client, "Closet");
    const response = await client.postForm(`/locations/${closet}`, {
      intent: "move",
      parentId: closet,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "“Closet” cannot be placed inside itself. Choose another location or Top level.",
    );
    expect(await parentOf(closet)).toBeNull();
  });

  it("rejects moving into a descendant", async () => {
    const basement = await createLocationViaForm(client, "Basement");
    const cupboard = await createLocationViaForm(client, "Cupboard", basement);
    const crate = await createLocationViaForm(client, "Crate", cupboard);

    for (const target of [cupboard, crate]) {
      const response = await client.postForm(`/locations/${basement}`, {
        intent: "move",
        parentId: target,
      });
      expect(response.status).toBe(400);
      const name = target === cupboard ? "Cupboard" : "Crate";
      expect(await response.text()).toContain(
        `“${name}” is inside “Basement”, so “Basement” cannot move into it. Choose a location outside “Basement”.`,
      );
    }
    expect(await parentOf(basement)).toBeNull();
  });

  it("leaves descendants out of move options", async () => {
    const garret = await createLocationViaForm(client, "Garret");
    const trunk = await createLocationViaForm(client, "Trunk", garret);
    const other = await createLocationViaForm(client, "Pantry");
    const { body } = await client.get(`/locations/${garret}`);
    const moveForm = body.slice(body.indexOf('value="move"'));
    expect(moveForm).toContain(`<option value="${other}">Pantry</option>`);
    expect(moveForm).not.toContain(`<option value="${trunk}"`);
    expect(moveForm).not.toContain(`<option value="${garret}"`);
  });

  it("rejects opposite concurrent moves", async () => {
    const left = await createLocationViaForm(client, "Left wing");
    const right = await createLocationViaForm(client, "Right wing");

    // Holding both row locks makes each request wait at its UPDATE, after
    // its cycle check. Without the household lock both checks would pass
    // against the old tree and the two updates would form a cycle.
    const rowLocks = await holdLocationRows([left, right]);

    const moves = Promise.all([
      client.postForm(`/locations/${left}`, {
        intent: "move",
        parentId: right,
      }),
      client.postForm(`/locations/${right}`, {
        intent: "move",
        parentId: left,
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await rowLocks.release();
    const [first, second] = await moves;

    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([302, 400]);
    const parents = [await parentOf(left), await parentOf(right)];
    expect(parents.filter((parent) => parent === null)).toHaveLength(1);
  });

  it("rejects an unknown intent", async () => {
    const nook = await createLocationViaForm(client, "Nook");
    const response = await client.postForm(`/locations/${nook}`, {
      intent: "paint",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "Unknown form action. Use the rename, move or delete form on this page.",
    );
  });
});

describe("deleting locations", () => {
  it("rejects deleting a non-empty location", async () => {
    const garage = await createLocationViaForm(client, "Workshop");
    await createLocationViaForm(client, "Bench", garage);
    await createLocationViaForm(client, "Pegboard", garage);
    await addItems(garage, 3, "Saw");

    const response = await client.postForm(`/locations/${garage}`, {
      intent: "delete",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "“Workshop” is not empty. Move or delete its 3 items and 2 sub-locations first.",
    );
    expect(await prisma.location.count({ where: { id: garage } })).toBe(1);
    expect(await prisma.auditLog.count({ where: { targetId: garage } })).toBe(
      0,
    );
  });

  it("names only what remains", async () => {
    const tray = await createLocationViaForm(client, "Tray");
    await addItems(tray, 1, "Pen");
    const withItem = await client.postForm(`/locations/${tray}`, {
      intent: "delete",
    });
    expect(withItem.status).toBe(400);
    expect(await withItem.text()).toContain(
      "“Tray” is not empty. Move or delete its 1 item first.",
    );

    const cabinet = await createLocationViaForm(client, "Cabinet");
    await createLocationViaForm(client, "Top drawer", cabinet);
    const withChild = await client.postForm(`/locations/${cabinet}`, {
      intent: "delete",
    });
    expect(withChild.status).toBe(400);
    expect(await withChild.text()).toContain(
      "“Cabinet” is not empty. Move or delete its 1 sub-location first.",
    );
  });

  it("deletes an empty location", async () => {
    const parent = await createLocationViaForm(client, "Study");
    const empty = await createLocationViaForm(client, "Desk", parent);

    const response = await client.postForm(`/locations/${empty}`, {
      intent: "delete",
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/locations");
    expect(await prisma.location.count({ where: { id: empty } })).toBe(0);

    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "locations@example.com" },
    });
    const events = await prisma.auditLog.findMany({
      where: { action: "LOCATION_DELETED", targetId: empty },
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.actorId).toBe(user.id);
    expect(events[0]!.targetType).toBe("Location");
    expect(events[0]!.oldValues).toEqual({ name: "Desk", parentId: parent });
    expect(events[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const { response: gone } = await client.get(`/locations/${empty}`);
    expect(gone.status).toBe(404);
  });
});

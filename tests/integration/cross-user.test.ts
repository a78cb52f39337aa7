import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { TestClient } from "../support/client";
import {
  registerAccount,
  TestClient as AnonymousClient,
} from "../support/client";
import {
  createItemViaForm,
  createLocationViaForm,
  linkedItemIds,
  ownedHouseholdId,
} from "../support/inventory";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;
let alice: TestClient;
let bob: TestClient;
let aliceHousehold: string;

/** IDs of Alice's rows that Bob must not reach. */
const alices = { house: "", garage: "", emptyRoom: "", item: "" };
/** IDs of Bob's own rows. */
const bobs = { room: "", item: "" };

const ALICE_ITEM_NAME = "Alice private passport";
const ALICE_TAG = "alice-only-tag";

/** Returns Alice's inventory rows, for comparing before and after. */
async function snapshotAlice() {
  const where = { householdId: aliceHousehold };
  return {
    locations: await prisma.location.findMany({
      where,
      orderBy: { id: "asc" },
    }),
    items: await prisma.item.findMany({ where, orderBy: { id: "asc" } }),
    tags: await prisma.tag.findMany({ where, orderBy: { id: "asc" } }),
    itemTags: await prisma.itemTag.findMany({
      where: { item: where },
      orderBy: [{ itemId: "asc" }, { tagId: "asc" }],
    }),
  };
}

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerAccount(server.baseUrl, {
    name: "Alice",
    email: "alice@example.com",
  });
  bob = await registerAccount(server.baseUrl, {
    name: "Bob",
    email: "bob@example.com",
  });
  aliceHousehold = await ownedHouseholdId("alice@example.com");

  alices.house = await createLocationViaForm(alice, "Alice house");
  alices.garage = await createLocationViaForm(
    alice,
    "Alice garage",
    alices.house,
  );
  alices.emptyRoom = await createLocationViaForm(alice, "Alice empty room");
  alices.item = await createItemViaForm(alice, {
    name: ALICE_ITEM_NAME,
    description: "In the safe",
    quantity: "1",
    locationId: alices.garage,
    tags: ALICE_TAG,
  });

  bobs.room = await createLocationViaForm(bob, "Bob room");
  bobs.item = await createItemViaForm(bob, {
    name: "Bob bike",
    locationId: bobs.room,
  });
});

afterAll(async () => {
  await server.close();
});

describe("another user's inventory", () => {
  it("returns 404 for page views", async () => {
    const paths = [
      `/items/${alices.item}`,
      `/items/${alices.item}/edit`,
      `/locations/${alices.house}`,
      `/locations/${alices.garage}`,
    ];
    for (const path of paths) {
      const { response, body } = await bob.get(path);
      expect(response.status, path).toBe(404);
      expect(body, path).toContain(
        "There is nothing here, or you do not have access to it.",
      );
      expect(body, path).not.toContain(ALICE_ITEM_NAME);
      expect(body, path).not.toContain("Alice garage");
    }
  });

  it("treats missing and foreign alike", async () => {
    const foreign = await bob.get(`/items/${alices.item}`);
    const missing = await bob.get("/items/cnotarealitemid0000000000");
    expect(foreign.response.status).toBe(404);
    expect(missing.response.status).toBe(404);
    const strip = (body: string) => body.replace(/[0-9a-f-]{36}/g, "");
    expect(strip(foreign.body).length).toBe(strip(missing.body).length);
  });

  it("returns 404 for every change", async () => {
    const before = await snapshotAlice();
    const posts: [string, Record<string, string>][] = [
      [`/items/${alices.item}`, { intent: "delete" }],
      [
        `/items/${alices.item}/edit`,
        {
          name: "Stolen",
          description: "",
          quantity: "9",
          locationId: "",
          tags: "",
        },
      ],
      [`/items/${alices.item}/edit`, { name: "" }],
      [`/locations/${alices.garage}`, { intent: "rename", name: "Mine now" }],
      [`/locations/${alices.garage}`, { intent: "rename", name: "" }],
      [`/locations/${alices.garage}`, { intent: "move", parentId: "" }],
      [`/locations/${alices.garage}`, { intent: "move", parentId: bobs.room }],
      [`/locations/${alices.emptyRoom}`, { intent: "delete" }],
      [`/locations/${alices.emptyRoom}`, { intent: "unknown" }],
    ];
    for (const [path, fields] of posts) {
      // Bob's own CSRF token is valid, so only the scope check can stop him.
      const csrf = await bob.fetchCsrfToken("/items/new");
      const response = await bob.postForm(path, fields, { csrf });
      expect(response.status, `${path} ${JSON.stringify(fields)}`).toBe(404);
    }
    expect(await snapshotAlice()).toEqual(before);
    expect(
      await prisma.auditLog.count({
        where: { targetId: { in: [alices.item, alices.emptyRoom] } },
      }),
    ).toBe(0);
  });

  it("rejects foreign IDs in forms", async () => {
    const before = await snapshotAlice();
    const cases: [string, Record<string, string>, string][] = [
      [
        "/items/new",
        { name: "Sneaky", quantity: "1", locationId: alices.garage, tags: "" },
        "locationId",
      ],
      [
        `/items/${bobs.item}/edit`,
        {
          name: "Bob bike",
          quantity: "1",
          locationId: alices.garage,
          tags: "",
        },
        "locationId",
      ],
      [
        "/locations/new",
        { name: "Sneaky room", parentId: alices.house },
        "parentId",
      ],
      [
        `/locations/${bobs.room}`,
        { intent: "move", parentId: alices.house },
        "parentId",
      ],
    ];
    for (const [path, fields] of cases) {
      const response = await bob.postForm(path, fields);
      expect(response.status, path).toBe(400);
      const body = await response.text();
      expect(body, path).toContain("Choose a location from the list.");
      expect(body, path).not.toContain("Alice house");
      expect(body, path).not.toContain("Alice garage");
    }

    expect(await prisma.item.count({ where: { name: "Sneaky" } })).toBe(0);
    expect(
      await prisma.location.count({ where: { name: "Sneaky room" } }),
    ).toBe(0);
    const bike = await prisma.item.findUniqueOrThrow({
      where: { id: bobs.item },
    });
    expect(bike.locationId).toBe(bobs.room);
    const room = await prisma.location.findUniqueOrThrow({
      where: { id: bobs.room },
    });
    expect(room.parentId).toBeNull();
    expect(await snapshotAlice()).toEqual(before);
  });

  it("keeps lists and filters separate", async () => {
    const { response, body } = await bob.get("/items");
    expect(response.status).toBe(200);
    expect(linkedItemIds(body)).toEqual([bobs.item]);
    expect(body).not.toContain(ALICE_TAG);
    expect(body).not.toContain("Alice garage");

    const search = await bob.get("/items?q=passport");
    expect(linkedItemIds(search.body)).toEqual([]);

    const byTag = await bob.get(`/items?tag=${ALICE_TAG}`);
    expect(byTag.response.status).toBe(200);
    expect(linkedItemIds(byTag.body)).toEqual([]);

    const byLocation = await bob.get(`/items?locationId=${alices.house}`);
    expect(byLocation.response.status).toBe(400);
    expect(byLocation.body).toContain(
      "The location filter does not match any of your locations.",
    );
    expect(linkedItemIds(byLocation.body)).toEqual([]);

    const tree = await bob.get("/locations");
    expect(tree.body).toContain("Bob room");
    expect(tree.body).not.toContain("Alice house");

    const newItem = await bob.get(`/items/new?locationId=${alices.garage}`);
    expect(newItem.body).not.toContain("Alice garage");
    expect(newItem.body).not.toContain(`value="${alices.garage}"`);
  });

  it("keeps tags per household", async () => {
    const id = await createItemViaForm(bob, {
      name: "Bob map",
      tags: ALICE_TAG,
    });
    const link = await prisma.itemTag.findFirstOrThrow({
      where: { itemId: id },
      include: { tag: true },
    });
    expect(link.tag.householdId).toBe(
      await ownedHouseholdId("bob@example.com"),
    );
    expect(await prisma.tag.count({ where: { nameKey: ALICE_TAG } })).toBe(2);

    const { body } = await alice.get(`/items?tag=${ALICE_TAG}`);
    expect(linkedItemIds(body)).toEqual([alices.item]);
  });

  it("checks sibling names per household", async () => {
    const top = await bob.postForm("/locations/new", {
      name: "ALICE HOUSE",
      parentId: "",
    });
    expect(top.status).toBe(302);
    const location = top.headers.get("location")!;
    const created = await prisma.location.findUniqueOrThrow({
      where: { id: location.slice("/locations/".length) },
    });
    expect(created.householdId).toBe(await ownedHouseholdId("bob@example.com"));
    expect(created.parentId).toBeNull();
  });

  it("leaves the owner's access intact", async () => {
    const { response, body } = await alice.get(`/items/${alices.item}`);
    expect(response.status).toBe(200);
    expect(body).toContain(ALICE_ITEM_NAME);
  });
});

describe("read-only membership", () => {
  let viewer: TestClient;

  beforeAll(async () => {
    viewer = await registerAccount(server.baseUrl, {
      name: "Vera",
      email: "viewer@example.com",
    });
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: "viewer@example.com" },
    });
    // Created directly because invitations do not exist yet.
    await prisma.membership.create({
      data: { householdId: aliceHousehold, userId: user.id, role: "VIEWER" },
    });
  });

  it("shows pages without edit forms", async () => {
    const item = await viewer.get(`/items/${alices.item}`);
    expect(item.response.status).toBe(200);
    expect(item.body).toContain(ALICE_ITEM_NAME);
    expect(item.body).not.toContain(`/items/${alices.item}/edit`);
    expect(item.body).not.toContain('value="delete"');

    const location = await viewer.get(`/locations/${alices.garage}`);
    expect(location.response.status).toBe(200);
    expect(location.body).not.toContain('value="rename"');
  });

  it("returns 403 for viewer changes", async () => {
    const before = await snapshotAlice();
    const edit = await viewer.get(`/items/${alices.item}/edit`);
    expect(edit.response.status).toBe(403);

    const posts: [string, Record<string, string>][] = [
      [`/items/${alices.item}`, { intent: "delete" }],
      [
        `/items/${alices.item}/edit`,
        { name: "Changed", quantity: "1", locationId: "", tags: "" },
      ],
      [`/locations/${alices.garage}`, { intent: "rename", name: "Changed" }],
      [`/locations/${alices.garage}`, { intent: "move", parentId: "" }],
      [`/locations/${alices.emptyRoom}`, { intent: "delete" }],
    ];
    for (const [path, fields] of posts) {
      const csrf = await viewer.fetchCsrfToken("/items/new");
      const response = await viewer.postForm(path, fields, { csrf });
      expect(response.status, `${path} ${JSON.stringify(fields)}`).toBe(403);
    }

    const response = await viewer.postForm("/items/new", {
      name: "Viewer item",
      quantity: "1",
      locationId: alices.garage,
      tags: "",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Choose a location from the list.");
    expect(await snapshotAlice()).toEqual(before);
  });
});

describe("anonymous and forged requests", () => {
  it("redirects anonymous visitors to sign-in", async () => {
    const anonymous = new AnonymousClient(server.baseUrl);
    const paths = [
      "/items",
      "/items/new",
      `/items/${alices.item}`,
      `/items/${alices.item}/edit`,
      `/locations/${alices.garage}`,
    ];
    for (const path of paths) {
      const response = await anonymous.request(path);
      expect(response.status, path).toBe(302);
      expect(response.headers.get("location"), path).toBe(
        `/login?redirectTo=${encodeURIComponent(path)}`,
      );
    }
  });

  it("rejects posts without a CSRF token", async () => {
    const before = await snapshotAlice();
    const response = await alice.postForm(
      `/items/${alices.item}`,
      { intent: "delete" },
      { csrf: null },
    );
    expect(response.status).toBe(403);
    expect(await snapshotAlice()).toEqual(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Prisma } from "~/generated/prisma/client";
import { IMPORT_MAX_BYTES } from "~/modules/inventory/csv/columns";
import { readUploadForm } from "~/modules/inventory/csv/upload.server";
import { prisma } from "~/utils/db.server";

import type { TestClient } from "../support/client";
import { registerAccount } from "../support/client";
import {
  confirmImport,
  decodeHtml,
  fetchProblems,
  importCsv,
  inventoryAuditEvents,
  postMultipart,
  uploadCsv,
} from "../support/csv";
import { ownedHouseholdId } from "../support/inventory";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;

const UPLOAD_LIMIT = 10;

beforeAll(async () => {
  server = await startTestServer({
    THROTTLE_IMPORT_UPLOAD_LIMIT: String(UPLOAD_LIMIT),
    THROTTLE_IMPORT_UPLOAD_WINDOW_SECONDS: "600",
  });
});

afterAll(async () => {
  await server.close();
});

/** Registers a user with an empty personal household. */
async function newAccount(
  email: string,
): Promise<{ client: TestClient; householdId: string }> {
  const client = await registerAccount(server.baseUrl, { email });
  return { client, householdId: await ownedHouseholdId(email) };
}

/** Returns a household's rows that an import may write, for comparisons. */
async function snapshot(householdId: string) {
  const where = { householdId };
  return {
    items: await prisma.item.findMany({
      where,
      orderBy: { id: "asc" },
      include: { tags: true, fields: true },
    }),
    locations: await prisma.location.findMany({
      where,
      orderBy: { id: "asc" },
    }),
    tags: await prisma.tag.findMany({ where, orderBy: { id: "asc" } }),
  };
}

async function locationPaths(householdId: string): Promise<string[]> {
  const locations = await prisma.location.findMany({ where: { householdId } });
  const byId = new Map(locations.map((location) => [location.id, location]));
  const pathOf = (id: string): string => {
    const location = byId.get(id)!;
    return location.parentId
      ? `${pathOf(location.parentId)} / ${location.name}`
      : location.name;
  };
  return locations.map((location) => pathOf(location.id)).sort();
}

const THREE_BAD_CELLS = [
  "HB.import_ref,HB.location,HB.name,HB.quantity,HB.purchase_price,HB.purchase_date,HB.tags",
  "g1,Home / Kitchen,Kettle,1,24.99,2024-01-05,kitchen",
  "b1,Attic,Old lamp,1,10.00,2024-13-01,attic-only",
  "b2,Attic / Box,Spare bulbs,-2,3.50,2024-02-01,attic-only",
  "g2,Home / Garage,Ladder,2,89.00,2023-06-30,garage",
  'b3,Cellar,Wine rack,1,"1,234.50",2022-09-09,cellar-only',
].join("\n");

const EXPECTED_PROBLEMS = [
  {
    row: 3,
    column: "HB.purchase_date",
    value: "2024-13-01",
    problem:
      "“2024-13-01” is not a calendar date. Check the month and day; MM/DD/YYYY puts the month first.",
  },
  {
    row: 4,
    column: "HB.quantity",
    value: "-2",
    problem:
      "A quantity cannot be negative. Enter a whole number from 0 to 1,000,000.",
  },
  {
    row: 6,
    column: "HB.purchase_price",
    value: "1,234.50",
    problem:
      "Write the amount without thousands separators and with a point before the decimals, such as 1234.50.",
  },
];

describe("import with bad cells", () => {
  it("lists exactly the bad cells", async () => {
    const { client, householdId } = await newAccount("bad-cells@example.com");
    const jobId = await uploadCsv(client, THREE_BAD_CELLS);

    expect(await fetchProblems(client, jobId)).toEqual(EXPECTED_PROBLEMS);
    const download = await client.request(
      `/items/import/problems?job=${jobId}`,
    );
    expect(download.headers.get("cache-control")).toBe("no-store");

    const { response, body } = await client.get(`/items/import?job=${jobId}`);
    expect(response.status).toBe(200);
    const html = decodeHtml(body);
    expect(html).toMatch(/data-testid="row-count">5 \(comma-separated\)/);
    expect(html).toMatch(/data-testid="create-count">2</);
    expect(html).toMatch(/data-testid="update-count">0</);
    expect(html).toMatch(/data-testid="error-row-count">3</);
    expect(html).toContain(
      'New locations</dt><dd data-testid="location-count">3',
    );
    expect(html).toContain(": Home, Home / Kitchen, Home / Garage");
    expect(html).toContain(": kitchen, garage");
    const table = html.slice(html.indexOf('id="import-problems"'));
    const rows = [...table.matchAll(/<tr class="[^"]*">(.*?)<\/tr>/g)].map(
      (match) =>
        [...match[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) =>
          cell[1]!.replace(/<\/?code>/g, ""),
        ),
    );
    expect(rows).toEqual(
      EXPECTED_PROBLEMS.map((problem) => [
        String(problem.row),
        problem.column,
        problem.value,
        problem.problem,
      ]),
    );
    expect(await prisma.item.count({ where: { householdId } })).toBe(0);
  });

  it("writes nothing without skipping", async () => {
    const { client, householdId } = await newAccount("no-skip@example.com");
    const before = await snapshot(householdId);
    const jobId = await uploadCsv(client, THREE_BAD_CELLS);

    const response = await confirmImport(client, jobId);
    expect(response.status).toBe(409);
    expect(decodeHtml(await response.text())).toContain(
      "Nothing was imported because 3 rows have problems. Fix them and upload the file again, or tick “Skip rows with errors” to import only the other rows.",
    );
    expect(await snapshot(householdId)).toEqual(before);
  });

  it("writes only good rows when skipping", async () => {
    const { client, householdId } = await newAccount("skip@example.com");
    const jobId = await uploadCsv(client, THREE_BAD_CELLS);

    const response = await confirmImport(client, jobId, {
      skipRowsWithErrors: true,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/items/import?job=${jobId}`);

    const items = await prisma.item.findMany({
      where: { householdId },
      orderBy: { id: "asc" },
      include: { tags: { include: { tag: true } } },
    });
    expect(items.map((item) => item.importRef)).toEqual(["g1", "g2"]);
    expect(items.map((item) => item.name)).toEqual(["Kettle", "Ladder"]);
    expect(items.map((item) => item.purchasePrice)).toEqual([2499n, 8900n]);
    expect(items.map((item) => item.quantity)).toEqual([1, 2]);
    expect(await locationPaths(householdId)).toEqual([
      "Home",
      "Home / Garage",
      "Home / Kitchen",
    ]);
    const tags = await prisma.tag.findMany({ where: { householdId } });
    expect(tags.map((tag) => tag.name).sort()).toEqual(["garage", "kitchen"]);

    const { body } = await client.get(`/items/import?job=${jobId}`);
    expect(decodeHtml(body)).toContain("2 items created");
    expect(decodeHtml(body)).toContain("3 rows with errors skipped");

    const again = await confirmImport(client, jobId);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain(
      "This file has already been imported.",
    );
    expect(await prisma.item.count({ where: { householdId } })).toBe(2);
  });
});

describe("re-import", () => {
  it("updates items with matching refs", async () => {
    const { client, householdId } = await newAccount("reimport@example.com");
    const first = [
      "HB.import_ref,HB.location,HB.name,HB.tags,HB.notes,HB.field.Colour",
      "r1,Home / Garage,Drill,tools; power,First notes,Blue",
      "r2,Home / Garage,Saw,tools,,Red",
    ].join("\n");
    await importCsv(client, first);
    const created = await prisma.item.findMany({
      where: { householdId },
      orderBy: { importRef: "asc" },
    });
    expect(created).toHaveLength(2);

    const second = [
      "HB.import_ref,HB.location,HB.name,HB.tags,HB.field.Colour",
      "r1,Home / Shed,Drill v2,garden,",
      "r2,Home / Garage,Saw,tools,Green",
    ].join("\n");
    const jobId = await uploadCsv(client, second);
    const { body } = await client.get(`/items/import?job=${jobId}`);
    expect(body).toMatch(/data-testid="create-count">0</);
    expect(body).toMatch(/data-testid="update-count">2</);
    expect((await confirmImport(client, jobId)).status).toBe(302);

    const items = await prisma.item.findMany({
      where: { householdId },
      orderBy: { importRef: "asc" },
      include: {
        tags: { include: { tag: true } },
        fields: true,
        location: true,
      },
    });
    expect(items.map((item) => item.id)).toEqual(
      created.map((item) => item.id),
    );
    expect(items.map((item) => item.name)).toEqual(["Drill v2", "Saw"]);
    expect(items.map((item) => item.location?.name)).toEqual([
      "Shed",
      "Garage",
    ]);
    expect(items[0]!.tags.map((link) => link.tag.name)).toEqual(["garden"]);
    // HB.notes is not in the second file, so the notes stay.
    expect(items[0]!.notes).toBe("First notes");
    // An empty custom field cell removes the field.
    expect(items[0]!.fields).toEqual([]);
    expect(items[1]!.fields.map((field) => field.value)).toEqual(["Green"]);
    expect(await locationPaths(householdId)).toEqual([
      "Home",
      "Home / Garage",
      "Home / Shed",
    ]);
  });
});

describe("parent references", () => {
  it("links parts to parents", async () => {
    const { client, householdId } = await newAccount("parents@example.com");
    await importCsv(
      client,
      [
        "HB.import_ref,HB.location,HB.name,HB.parent_import_ref",
        "kit-1,Shed,Bit 3 mm,kit",
        "kit,Shed,Drill bit set,",
      ].join("\n"),
    );
    await importCsv(
      client,
      [
        "HB.import_ref,HB.location,HB.name,HB.parent_import_ref",
        "kit-2,Shed,Bit 4 mm,kit",
      ].join("\n"),
    );
    const parent = await prisma.item.findFirstOrThrow({
      where: { householdId, importRef: "kit" },
      include: { parts: { orderBy: { name: "asc" } } },
    });
    expect(parent.parts.map((part) => part.name)).toEqual([
      "Bit 3 mm",
      "Bit 4 mm",
    ]);
    const { body } = await client.get(`/items/${parent.parts[0]!.id}`);
    expect(body).toContain(`href="/items/${parent.id}"`);
  });

  it("reports unknown parents and loops", async () => {
    const { client, householdId } = await newAccount("loops@example.com");
    const jobId = await uploadCsv(
      client,
      [
        "HB.import_ref,HB.location,HB.name,HB.parent_import_ref",
        "a,Shed,A,b",
        "b,Shed,B,a",
        "c,Shed,C,missing",
        "d,Shed,D,c",
        "e,Shed,E,",
      ].join("\n"),
    );
    expect(await fetchProblems(client, jobId)).toEqual([
      {
        row: 2,
        column: "HB.parent_import_ref",
        value: "b",
        problem:
          "The parent references form a loop (row 2 → row 3 → row 2), so no item in it could be the top one. Clear one of the references.",
      },
      {
        row: 3,
        column: "HB.parent_import_ref",
        value: "a",
        problem:
          "The parent references form a loop (row 3 → row 2 → row 3), so no item in it could be the top one. Clear one of the references.",
      },
      {
        row: 4,
        column: "HB.parent_import_ref",
        value: "missing",
        problem:
          "No row of this file and no item of the household has this import reference. Add the parent's row or correct the reference.",
      },
      {
        row: 5,
        column: "HB.parent_import_ref",
        value: "c",
        problem:
          "The parent row 4 has problems, so this row cannot be imported without it.",
      },
    ]);
    const response = await confirmImport(client, jobId, {
      skipRowsWithErrors: true,
    });
    expect(response.status).toBe(302);
    const items = await prisma.item.findMany({ where: { householdId } });
    expect(items.map((item) => item.name)).toEqual(["E"]);
  });
});

describe("Homebox file", () => {
  const HOMEBOX_CSV = [
    "HB.import_ref,HB.location,HB.labels,HB.quantity,HB.name,HB.description,HB.insured,HB.serial_number,HB.model_number,HB.manufacturer,HB.notes,HB.purchase_from,HB.purchase_price,HB.purchase_time,HB.lifetime_warranty,HB.warranty_expires,HB.warranty_details,HB.sold_to,HB.sold_price,HB.sold_time,HB.sold_notes,HB.field.Color,HB.archived,HB.asset_id",
    'hb-001,Home / Garage / Shelf 2,Tools;Power Tools,1,Cordless Drill,"18V, with 2 batteries",true,SN123,DHP482,Makita,,Home Depot,$149.99,03/15/2023,false,03/15/2026,2 year,,0,,,Teal,false,000-001',
    "hb-002,Home / Garage,Tools,3,Hammer,,false,,,Estwing,Good grip,Lowes,24.50,11/02/2021,true,,,,,,,,,000-002",
    "hb-003,Home / Kitchen,Appliances,1,Stand Mixer,,true,KSM150,,KitchenAid,,Amazon,$379.00,13/45/2023,false,,,,,,,Red,false,",
    'hb-004,Home / Office / Desk,Electronics;Computers,1,Laptop,"Work laptop\nwith charger",yes,C02XYZ,MacBook Pro,Apple,,Apple Store,2399,01/20/2024,no,01/20/2027,AppleCare,Jane,1200.00,06/01/2025,Sold to a friend,Silver,true,000-004',
  ].join("\n");

  it("imports nested paths, tags and details", async () => {
    const { client, householdId } = await newAccount("homebox@example.com");
    const jobId = await uploadCsv(client, HOMEBOX_CSV, {
      name: "homebox-export.csv",
    });
    expect(await fetchProblems(client, jobId)).toEqual([
      {
        row: 4,
        column: "HB.purchase_time",
        value: "13/45/2023",
        problem:
          "“13/45/2023” is not a calendar date. Check the month and day; MM/DD/YYYY puts the month first.",
      },
    ]);
    const blocked = await confirmImport(client, jobId);
    expect(blocked.status).toBe(409);
    expect(await prisma.item.count({ where: { householdId } })).toBe(0);

    const response = await confirmImport(client, jobId, {
      skipRowsWithErrors: true,
    });
    expect(response.status).toBe(302);

    expect(await locationPaths(householdId)).toEqual([
      "Home",
      "Home / Garage",
      "Home / Garage / Shelf 2",
      "Home / Office",
      "Home / Office / Desk",
    ]);
    const items = await prisma.item.findMany({
      where: { householdId },
      orderBy: { importRef: "asc" },
      include: {
        tags: { include: { tag: true } },
        fields: true,
        location: true,
      },
    });
    expect(items.map((item) => item.importRef)).toEqual([
      "hb-001",
      "hb-002",
      "hb-004",
    ]);
    const [drill, hammer, laptop] = items;
    expect(drill!.location?.name).toBe("Shelf 2");
    expect(drill!.tags.map((link) => link.tag.name).sort()).toEqual([
      "Power Tools",
      "Tools",
    ]);
    expect(drill!.description).toBe("18V, with 2 batteries");
    expect(drill!.insured).toBe(true);
    expect(drill!.serialNumber).toBe("SN123");
    expect(drill!.modelNumber).toBe("DHP482");
    expect(drill!.manufacturer).toBe("Makita");
    expect(drill!.purchaseFrom).toBe("Home Depot");
    expect(drill!.purchasePrice).toBe(14999n);
    expect(drill!.purchaseDate?.toISOString().slice(0, 10)).toBe("2023-03-15");
    expect(drill!.warrantyExpires?.toISOString().slice(0, 10)).toBe(
      "2026-03-15",
    );
    expect(drill!.warrantyDetails).toBe("2 year");
    expect(drill!.soldPrice).toBe(0n);
    expect(drill!.assetId).toBe(1);
    expect(drill!.fields.map((field) => [field.name, field.value])).toEqual([
      ["Color", "Teal"],
    ]);

    expect(hammer!.quantity).toBe(3);
    expect(hammer!.lifetimeWarranty).toBe(true);
    expect(hammer!.purchasePrice).toBe(2450n);
    expect(hammer!.purchaseDate?.toISOString().slice(0, 10)).toBe("2021-11-02");
    expect(hammer!.fields).toEqual([]);

    expect(laptop!.location?.name).toBe("Desk");
    expect(laptop!.description).toBe("Work laptop\nwith charger");
    expect(laptop!.purchasePrice).toBe(239900n);
    expect(laptop!.soldTo).toBe("Jane");
    expect(laptop!.soldPrice).toBe(120000n);
    expect(laptop!.soldDate?.toISOString().slice(0, 10)).toBe("2025-06-01");
    expect(laptop!.soldNotes).toBe("Sold to a friend");
    expect(laptop!.archived).toBe(true);

    expect(
      await prisma.item.count({ where: { householdId, name: "Stand Mixer" } }),
    ).toBe(0);
  });
});

describe("upload checks", () => {
  it("rejects uploads without CSRF token", async () => {
    const { client } = await newAccount("csrf-upload@example.com");
    const csv = "HB.location,HB.name\nShed,Saw\n";
    for (const csrf of [null, "forged-token"]) {
      const response = await postMultipart(
        client,
        "/items/import",
        {},
        { field: "file", name: "items.csv", content: csv },
        { csrf },
      );
      expect(response.status, String(csrf)).toBe(403);
    }
    expect(
      await prisma.importJob.count({
        where: { user: { email: "csrf-upload@example.com" } },
      }),
    ).toBe(0);
  });

  // Just over 10 MB, the body passes its size check and the file part
  // fails. 100 KiB over, the declared body size fails before parsing.
  it.each([
    ["big.csv", 10 * 1024 * 1024 + 1],
    ["big; file.csv", 10 * 1024 * 1024 + 100 * 1024],
  ])("rejects %j over 10 MB", async (name, minBytes) => {
    const { client } = await newAccount(
      `large-${name.replace(/\W+/g, "-")}@example.com`,
    );
    const header = "HB.location,HB.name\n";
    const row = "Shed,Saw\n";
    const csv = header + row.repeat(Math.ceil(minBytes / row.length));
    const response = await postMultipart(
      client,
      "/items/import",
      {},
      { field: "file", name, content: csv },
    );
    expect(response.status).toBe(413);
    expect(decodeHtml(await response.text())).toContain(
      "The file is larger than 10 MB. Split it into smaller files and import them one after another.",
    );
  });

  it("rejects files that are not UTF-8", async () => {
    const { client } = await newAccount("latin1@example.com");
    const bytes = new Uint8Array([
      ...new TextEncoder().encode("HB.location,HB.name\nShed,Caf"),
      0xe9,
      0x0a,
    ]);
    const response = await postMultipart(
      client,
      "/items/import",
      {},
      { field: "file", name: "latin1.csv", content: bytes },
    );
    expect(response.status).toBe(400);
    expect(decodeHtml(await response.text())).toContain(
      "“latin1.csv” is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” and upload it again.",
    );
  });

  it("rejects files with NUL characters", async () => {
    const { client } = await newAccount("nul@example.com");
    const response = await postMultipart(
      client,
      "/items/import",
      {},
      {
        field: "file",
        name: "utf16.csv",
        content: "HB.location,HB.name\nShed,S\u0000aw\n",
      },
    );
    expect(response.status).toBe(400);
    expect(decodeHtml(await response.text())).toContain(
      "Line 2 of “utf16.csv” contains a NUL character, which CSV text never does.",
    );
    expect(
      await prisma.importJob.count({
        where: { user: { email: "nul@example.com" } },
      }),
    ).toBe(0);
  });

  it("shows file errors and ignored columns", async () => {
    const { client } = await newAccount("file-errors@example.com");
    const broken = await uploadCsv(client, "Name,Location\nSaw,Shed\n");
    const { body } = await client.get(`/items/import?job=${broken}`);
    expect(decodeHtml(body)).toContain(
      "The header has no HB.location column, which every file needs.",
    );
    expect(body).not.toContain('value="confirm"');

    const ignored = await uploadCsv(
      client,
      "HB.location,HB.name,Price,hb.notes\nShed,Saw,3,x\n",
    );
    const preview = decodeHtml(
      (await client.get(`/items/import?job=${ignored}`)).body,
    );
    expect(preview).toContain("<code>Price</code>: Not an HB. column.");
    expect(preview).toContain(
      "<code>hb.notes</code>: Column names are case-sensitive. Did you mean HB.notes?",
    );
  });
});

describe("import access", () => {
  it("hides jobs of other users", async () => {
    const owner = await newAccount("job-owner@example.com");
    const other = await newAccount("job-other@example.com");
    const jobId = await uploadCsv(
      owner.client,
      "HB.location,HB.name\nShed,Saw\n",
    );

    const page = await other.client.get(`/items/import?job=${jobId}`);
    expect(page.response.status).toBe(404);
    expect(page.body).not.toContain("Saw");
    const problems = await other.client.get(
      `/items/import/problems?job=${jobId}`,
    );
    expect(problems.response.status).toBe(404);
    const confirm = await confirmImport(other.client, jobId);
    expect(confirm.status).toBe(404);
    expect(
      await prisma.item.count({ where: { householdId: owner.householdId } }),
    ).toBe(0);
    expect(
      await prisma.item.count({ where: { householdId: other.householdId } }),
    ).toBe(0);
  });

  it("rejects imports by viewers", async () => {
    const owner = await newAccount("import-owner@example.com");
    const viewer = await newAccount("import-viewer@example.com");
    const viewerUser = await prisma.user.findUniqueOrThrow({
      where: { email: "import-viewer@example.com" },
    });
    await prisma.membership.create({
      data: {
        householdId: owner.householdId,
        userId: viewerUser.id,
        role: "VIEWER",
      },
    });

    const page = await viewer.client.get("/items/import");
    expect(page.body).not.toContain(`value="${owner.householdId}"`);
    const response = await postMultipart(
      viewer.client,
      "/items/import",
      { householdId: owner.householdId },
      {
        field: "file",
        name: "items.csv",
        content: "HB.location,HB.name\nShed,Saw\n",
      },
    );
    expect(response.status).toBe(403);
    expect(
      await prisma.importJob.count({ where: { userId: viewerUser.id } }),
    ).toBe(0);
    expect(
      await prisma.item.count({ where: { householdId: owner.householdId } }),
    ).toBe(0);
  });

  it("reports a discard that wins a race", async () => {
    const { client, householdId } = await newAccount("race@example.com");
    const csrf = await client.fetchCsrfToken("/items/import");
    for (let round = 0; round < 8; round++) {
      const ref = `race-${round}`;
      const jobId = await uploadCsv(
        client,
        `HB.import_ref,HB.location,HB.name\n${ref},Shed,Saw\n`,
      );
      const path = `/items/import?job=${jobId}`;
      const [confirm, discard] = await Promise.all([
        client.postForm(path, { jobId, intent: "confirm" }, { csrf }),
        client.postForm(path, { jobId, intent: "discard" }, { csrf }),
      ]);
      expect(discard.status).toBe(302);
      const imported = await prisma.item.count({
        where: { householdId, importRef: ref },
      });
      // Whichever request wins, the confirm response matches what was written.
      if (confirm.status === 302) {
        expect(imported).toBe(1);
      } else if (confirm.status === 404) {
        expect(imported).toBe(0);
      } else {
        expect(confirm.status).toBe(409);
        expect(decodeHtml(await confirm.text())).toContain(
          "This upload was discarded, so nothing was imported.",
        );
        expect(imported).toBe(0);
      }
    }
  });

  it("discards an upload", async () => {
    const { client } = await newAccount("discard@example.com");
    const jobId = await uploadCsv(client, "HB.location,HB.name\nShed,Saw\n");
    const response = await client.postForm(`/items/import?job=${jobId}`, {
      jobId,
      intent: "discard",
    });
    expect(response.status).toBe(302);
    expect(await prisma.importJob.count({ where: { id: jobId } })).toBe(0);
  });
});

describe("import audit", () => {
  it("records counts of a confirmed import", async () => {
    const email = "audit-import@example.com";
    const { client, householdId } = await newAccount(email);
    await importCsv(client, "HB.import_ref,HB.location,HB.name\nr1,Shed,Saw\n");
    const jobId = await uploadCsv(
      client,
      [
        "HB.import_ref,HB.location,HB.name,HB.tags,HB.quantity",
        "r1,Shed / Shelf,Saw,tools,1",
        "r2,Shed / Shelf,Drill,tools; power,2",
        "r3,Shed,Broken,,-1",
      ].join("\n"),
    );
    const blocked = await confirmImport(client, jobId);
    expect(blocked.status).toBe(409);
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    const firstImport = {
      action: "INVENTORY_IMPORTED",
      actorId: user.id,
      targetType: "Household",
      targetId: householdId,
      oldValues: null,
      newValues: {
        itemsCreated: 1,
        itemsUpdated: 0,
        locationsCreated: 1,
        tagsCreated: 0,
        rowsSkipped: 0,
      },
      ipAddress: "127.0.0.1",
    };
    expect(await inventoryAuditEvents(user.id)).toEqual([firstImport]);

    const response = await confirmImport(client, jobId, {
      skipRowsWithErrors: true,
    });
    expect(response.status).toBe(302);
    expect(await inventoryAuditEvents(user.id)).toEqual([
      firstImport,
      {
        ...firstImport,
        newValues: {
          itemsCreated: 1,
          itemsUpdated: 1,
          locationsCreated: 1,
          tagsCreated: 2,
          rowsSkipped: 1,
        },
      },
    ]);
  });

  it("imports when the audit write fails", async () => {
    const email = "audit-fails@example.com";
    const { client, householdId } = await newAccount(email);
    const jobId = await uploadCsv(client, "HB.location,HB.name\nShed,Saw\n");
    await prisma.$executeRawUnsafe(
      'ALTER TABLE "AuditLog" RENAME TO "AuditLogHidden"',
    );
    let response: Response;
    try {
      response = await confirmImport(client, jobId);
    } finally {
      await prisma.$executeRawUnsafe(
        'ALTER TABLE "AuditLogHidden" RENAME TO "AuditLog"',
      );
    }
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/items/import?job=${jobId}`);
    expect(await prisma.item.count({ where: { householdId } })).toBe(1);
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    expect(await inventoryAuditEvents(user.id)).toEqual([]);
  });
});

describe("location and tag cells", () => {
  it("reports paths without names and tags with commas", async () => {
    const { client, householdId } = await newAccount("cells@example.com");
    const jobId = await uploadCsv(
      client,
      [
        "HB.location,HB.name,HB.tags",
        "///,Saw,",
        '" / / ",Drill,',
        ',Umbrella,"Red, Blue;Outdoor"',
        ",Torch,Outdoor",
      ].join("\n"),
    );
    const locationMessage =
      "HB.location contains no location name. Enter the item's location path, such as “Home / Garage”, or leave the cell empty for an item without a location.";
    expect(await fetchProblems(client, jobId)).toEqual([
      { row: 2, column: "HB.location", value: "///", problem: locationMessage },
      {
        row: 3,
        column: "HB.location",
        value: " / / ",
        problem: locationMessage,
      },
      {
        row: 4,
        column: "HB.tags",
        value: "Red, Blue;Outdoor",
        problem:
          "The tag “Red, Blue” contains a comma, and tag names cannot contain commas. Separate tags in HB.tags with “;”, such as “Red; Blue”, or rename the tag.",
      },
    ]);
    const response = await confirmImport(client, jobId, {
      skipRowsWithErrors: true,
    });
    expect(response.status).toBe(302);
    const items = await prisma.item.findMany({
      where: { householdId },
      include: { tags: { include: { tag: true } } },
    });
    expect(items.map((item) => item.name)).toEqual(["Torch"]);
    expect(items[0]!.locationId).toBeNull();
    expect(items[0]!.tags.map((link) => link.tag.name)).toEqual(["Outdoor"]);
  });
});

describe("stored preview", () => {
  it("shows the preview planned at upload", async () => {
    const { client } = await newAccount("stored-preview@example.com");
    const jobId = await uploadCsv(
      client,
      "HB.location,HB.name\nShed,Saw\nShed,Drill\n",
    );
    const job = await prisma.importJob.findUniqueOrThrow({
      where: { id: jobId },
    });
    expect(job.preview).toMatchObject({
      fileErrors: [],
      preview: { rowCount: 2, createCount: 2, newLocations: ["Shed"] },
    });
    // A page load that parsed the file again would count three rows.
    await prisma.importJob.update({
      where: { id: jobId },
      data: { csvText: "HB.location,HB.name\nA,1\nA,2\nA,3\n" },
    });
    const { response, body } = await client.get(`/items/import?job=${jobId}`);
    expect(response.status).toBe(200);
    expect(body).toMatch(/data-testid="row-count">2 \(comma-separated\)/);
    expect(body).toMatch(/data-testid="create-count">2</);
  });

  it("plans jobs stored without a preview once", async () => {
    const { client } = await newAccount("legacy-preview@example.com");
    const jobId = await uploadCsv(client, "HB.location,HB.name\nShed,Saw\n");
    await prisma.importJob.update({
      where: { id: jobId },
      data: { preview: Prisma.DbNull },
    });
    const { body } = await client.get(`/items/import?job=${jobId}`);
    expect(body).toMatch(/data-testid="create-count">1</);
    const job = await prisma.importJob.findUniqueOrThrow({
      where: { id: jobId },
    });
    expect(job.preview).toMatchObject({
      fileErrors: [],
      preview: { rowCount: 1, createCount: 1 },
    });
  });

  it("stores file errors with the job", async () => {
    const { client } = await newAccount("stored-errors@example.com");
    const jobId = await uploadCsv(client, "Name,Location\nSaw,Shed\n");
    const job = await prisma.importJob.findUniqueOrThrow({
      where: { id: jobId },
    });
    expect(job.preview).toMatchObject({
      fileErrors: [
        "The header has no HB.location column, which every file needs. The first row must contain the column names, such as HB.location,HB.name.",
        "The header has no HB.name column, which every file needs. The first row must contain the column names, such as HB.location,HB.name.",
      ],
      preview: null,
    });
  });

  it("plans again against current data on confirm", async () => {
    const { client, householdId } = await newAccount("replan@example.com");
    const jobId = await uploadCsv(
      client,
      "HB.import_ref,HB.location,HB.name\nr1,Shed,Saw v2\n",
    );
    const { body } = await client.get(`/items/import?job=${jobId}`);
    expect(body).toMatch(/data-testid="create-count">1</);
    // Meanwhile another import creates the item that r1 names.
    await importCsv(client, "HB.import_ref,HB.location,HB.name\nr1,Shed,Saw\n");

    expect((await confirmImport(client, jobId)).status).toBe(302);
    const job = await prisma.importJob.findUniqueOrThrow({
      where: { id: jobId },
    });
    expect(job.result).toEqual({
      itemsCreated: 0,
      itemsUpdated: 1,
      locationsCreated: 0,
      tagsCreated: 0,
      rowsSkipped: 0,
    });
    expect(job.preview).toBeNull();
    expect(job.csvText).toBe("");
    const items = await prisma.item.findMany({ where: { householdId } });
    expect(items.map((item) => item.name)).toEqual(["Saw v2"]);
  });
});

describe("upload throttle", () => {
  it("rejects uploads over the limit", async () => {
    const email = "upload-limit@example.com";
    const { client } = await newAccount(email);
    const csv = "HB.location,HB.name\nShed,Saw\n";
    // Files rejected before parsing do not count against the limit.
    for (let attempt = 0; attempt < UPLOAD_LIMIT; attempt += 1) {
      const empty = await postMultipart(
        client,
        "/items/import",
        {},
        { field: "file", name: "items.csv", content: "" },
      );
      expect(empty.status).toBe(400);
    }
    const jobIds: string[] = [];
    for (let upload = 0; upload < UPLOAD_LIMIT; upload += 1) {
      jobIds.push(await uploadCsv(client, csv));
    }
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    const jobsBefore = await prisma.importJob.count({
      where: { userId: user.id },
    });

    const response = await postMultipart(
      client,
      "/items/import",
      {},
      { field: "file", name: "items.csv", content: csv },
    );
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(decodeHtml(await response.text())).toContain(
      `You can upload at most 10 files every 10 minutes. Try again in ${retryAfter} seconds.`,
    );
    expect(await prisma.importJob.count({ where: { userId: user.id } })).toBe(
      jobsBefore,
    );

    // Confirming and discarding post to the same path but are not uploads.
    const lastJob = jobIds.at(-1)!;
    expect((await confirmImport(client, lastJob)).status).toBe(302);
    const discard = await client.postForm(`/items/import?job=${jobIds[0]}`, {
      jobId: jobIds.at(-2)!,
      intent: "discard",
    });
    expect(discard.status).toBe(302);

    const other = await newAccount("upload-limit-other@example.com");
    await uploadCsv(other.client, csv);
  });
});

describe("upload file names", () => {
  it.each(["inventory; 2024.csv", "a=b.csv", 'a "quoted"; b=c.csv'])(
    "accepts the file name %j",
    async (name) => {
      const slug = name.replace(/[^a-z0-9]+/gi, "-");
      const { client } = await newAccount(`name-${slug}@example.com`);
      const jobId = await uploadCsv(client, "HB.location,HB.name\nShed,Saw\n", {
        name,
      });
      const job = await prisma.importJob.findUniqueOrThrow({
        where: { id: jobId },
      });
      expect(job.fileName).toBe(name);
      const { body } = await client.get(`/items/import?job=${jobId}`);
      expect(decodeHtml(body)).toContain(`Preview of “${name}” for`);
      expect(body).toMatch(/data-testid="create-count">1</);
    },
  );

  it("stops reading a body past the limit", async () => {
    // The Express entry rejects bodies without Content-Length, so this
    // calls the reader directly with a body that never declares its size.
    const boundary = "dokodo-test-boundary";
    const encoder = new TextEncoder();
    const head = encoder.encode(
      [
        `--${boundary}`,
        'Content-Disposition: form-data; name="file"; filename="big; file.csv"',
        "Content-Type: text/csv",
        "",
        "HB.location,HB.name\n",
      ].join("\r\n"),
    );
    const rows = encoder.encode("Shed,Saw\n".repeat(10_000));
    const rowChunks = Math.ceil((2 * IMPORT_MAX_BYTES) / rows.length);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 0) controller.enqueue(head);
        else if (pulled <= rowChunks) controller.enqueue(rows);
        else {
          controller.enqueue(encoder.encode(`\r\n--${boundary}--\r\n`));
          controller.close();
        }
        pulled += 1;
      },
    });
    const request = new Request("http://127.0.0.1/items/import", {
      method: "POST",
      body,
      duplex: "half",
      headers: {
        "content-type": `multipart/form-data; boundary=${boundary}`,
      },
    } as RequestInit);

    expect(await readUploadForm(request)).toEqual({
      ok: false,
      status: 413,
      message:
        "The file is larger than 10 MB. Split it into smaller files and import them one after another.",
    });
    // Reading stopped at the limit, 10 MiB plus 64 KiB for the other form
    // fields, instead of draining the 20 MiB body. The stream reads ahead
    // by a chunk or two.
    const chunksInLimit = Math.ceil(
      (IMPORT_MAX_BYTES + 64 * 1024) / rows.length,
    );
    expect(pulled).toBeLessThanOrEqual(chunksInLimit + 3);
  });
});

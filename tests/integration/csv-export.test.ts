import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { EXPORT_COLUMNS } from "~/modules/inventory/csv/columns";
import { prisma } from "~/utils/db.server";

import type { TestClient } from "../support/client";
import { registerAccount } from "../support/client";
import {
  confirmImport,
  exportCsv,
  fetchProblems,
  importCsv,
  inventoryAuditEvents,
  parseCsv,
  uploadCsv,
} from "../support/csv";
import {
  createItemViaForm,
  createLocationViaForm,
  ownedHouseholdId,
} from "../support/inventory";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

async function newAccount(
  email: string,
): Promise<{ client: TestClient; householdId: string }> {
  const client = await registerAccount(server.baseUrl, { email });
  return { client, householdId: await ownedHouseholdId(email) };
}

/** Quotes every cell, as spreadsheets do for text with separators. */
function csvLine(cells: string[]): string {
  return cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(",");
}

const RICH_HEADER = [
  "HB.import_ref",
  "HB.location",
  "HB.name",
  "HB.description",
  "HB.quantity",
  "HB.tags",
  "HB.asset_id",
  "HB.notes",
  "HB.url",
  "HB.manufacturer",
  "HB.model_number",
  "HB.serial_number",
  "HB.purchase_from",
  "HB.purchase_price",
  "HB.purchase_date",
  "HB.warranty_expires",
  "HB.warranty_details",
  "HB.lifetime_warranty",
  "HB.insured",
  "HB.archived",
  "HB.sold_to",
  "HB.sold_price",
  "HB.sold_date",
  "HB.sold_notes",
  "HB.parent_import_ref",
  "HB.field.Colour",
  "HB.field.Voltage",
];

/** Rows with every column, nested paths, quoting and formula-like text. */
const RICH_ROWS = [
  [
    "kit",
    "Home / Garage / Shelf 2",
    "Drill kit",
    'Case with "drill", bits\nand charger',
    "1",
    "Tools; Power tools",
    "000-042",
    "=not a formula",
    "https://example.com/kit",
    "Makita",
    "DHP482",
    "SN-1",
    "Hardware store",
    "199.99",
    "2024-03-15",
    "2027-03-15",
    "Two years",
    "false",
    "true",
    "false",
    "",
    "",
    "",
    "",
    "",
    "Teal",
    "18 V",
  ],
  [
    "kit-bit",
    "Home / Garage / Shelf 2",
    "Bit 3 mm",
    "",
    "12",
    "Tools",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "0.35",
    "",
    "",
    "",
    "false",
    "false",
    "false",
    "",
    "",
    "",
    "",
    "kit",
    "",
    "",
  ],
  [
    "sold-1",
    "Home / Attic",
    "-20° sleeping bag",
    "Ünïcödé ✓",
    "0",
    "Camping",
    "001-000",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "true",
    "false",
    "true",
    "Sam, the neighbour",
    "40.00",
    "2025-07-01",
    "@ cost",
    "",
    "Red",
    "",
  ],
  [
    "loose",
    "",
    "Umbrella",
    "",
    "1",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "false",
    "false",
    "false",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
  ],
];

const RICH_CSV = [RICH_HEADER, ...RICH_ROWS].map(csvLine).join("\r\n");

describe("CSV export", () => {
  it("downloads items as CSV attachment", async () => {
    const { client } = await newAccount("export-format@example.com");
    await importCsv(client, RICH_CSV);
    const { response, body } = await exportCsv(client);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(
      "text/csv; charset=utf-8",
    );
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="dokodo-items-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    // Response.text() drops the byte order mark, so check the raw bytes.
    const raw = new Uint8Array(
      await (await client.request("/items/export")).arrayBuffer(),
    );
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(body.startsWith("HB.import_ref,HB.location,")).toBe(true);
    const records = parseCsv(body);
    expect(records[0]).toEqual([
      ...EXPORT_COLUMNS,
      "HB.field.Colour",
      "HB.field.Voltage",
    ]);
    expect(records.slice(1)).toEqual([
      [
        "kit",
        "Home / Garage / Shelf 2",
        "Drill kit",
        'Case with "drill", bits\nand charger',
        "1",
        "Power tools; Tools",
        "000-042",
        "'=not a formula",
        "https://example.com/kit",
        "Makita",
        "DHP482",
        "SN-1",
        "Hardware store",
        "199.99",
        "2024-03-15",
        "2027-03-15",
        "Two years",
        "false",
        "true",
        "false",
        "",
        "",
        "",
        "",
        "",
        "Teal",
        "18 V",
      ],
      [
        "kit-bit",
        "Home / Garage / Shelf 2",
        "Bit 3 mm",
        "",
        "12",
        "Tools",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "0.35",
        "",
        "",
        "",
        "false",
        "false",
        "false",
        "",
        "",
        "",
        "",
        "kit",
        "",
        "",
      ],
      [
        "sold-1",
        "Home / Attic",
        "'-20° sleeping bag",
        "Ünïcödé ✓",
        "0",
        "Camping",
        "001-000",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "true",
        "false",
        "true",
        "Sam, the neighbour",
        "40.00",
        "2025-07-01",
        "'@ cost",
        "",
        "Red",
        "",
      ],
      [
        "loose",
        "",
        "Umbrella",
        "",
        "1",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "false",
        "false",
        "false",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
      ],
    ]);
  });

  it("round-trips through another household", async () => {
    const source = await newAccount("round-trip-a@example.com");
    const target = await newAccount("round-trip-b@example.com");
    await importCsv(source.client, RICH_CSV);
    const shelf = await prisma.location.findFirstOrThrow({
      where: { householdId: source.householdId, name: "Shelf 2" },
    });
    await createItemViaForm(source.client, {
      name: "Form-made torch",
      locationId: shelf.id,
      tags: "Lighting",
    });

    const first = (await exportCsv(source.client)).body;
    expect(parseCsv(first)).toHaveLength(RICH_ROWS.length + 2);
    await importCsv(target.client, first);
    const second = (await exportCsv(target.client)).body;
    expect(second).toBe(first);

    const copies = await prisma.item.count({
      where: { householdId: target.householdId },
    });
    expect(copies).toBe(RICH_ROWS.length + 1);
    const bit = await prisma.item.findFirstOrThrow({
      where: { householdId: target.householdId, importRef: "kit-bit" },
      include: { parent: true },
    });
    expect(bit.parent?.importRef).toBe("kit");
    expect(bit.parent?.householdId).toBe(target.householdId);
  });

  it("updates in place when re-importing own export", async () => {
    const { client, householdId } = await newAccount("own-export@example.com");
    const room = await createLocationViaForm(client, "Den");
    await createItemViaForm(client, { name: "Globe", locationId: room });
    await createItemViaForm(client, { name: "Atlas", locationId: room });
    const exported = (await exportCsv(client)).body;
    const edited = exported.replace("Globe", "Desk globe");

    const jobId = await uploadCsv(client, edited);
    const { body } = await client.get(`/items/import?job=${jobId}`);
    expect(body).toMatch(/data-testid="create-count">0</);
    expect(body).toMatch(/data-testid="update-count">2</);
    expect((await confirmImport(client, jobId)).status).toBe(302);
    const names = await prisma.item.findMany({
      where: { householdId },
      select: { name: true },
      orderBy: { name: "asc" },
    });
    expect(names.map((item) => item.name)).toEqual(["Atlas", "Desk globe"]);
  });
});

describe("export audit", () => {
  it("records each download", async () => {
    const email = "export-audit@example.com";
    const { client, householdId } = await newAccount(email);
    const shared = await newAccount("export-audit-shared@example.com");
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    await prisma.membership.create({
      data: {
        householdId: shared.householdId,
        userId: user.id,
        role: "VIEWER",
      },
    });

    expect((await exportCsv(client)).response.status).toBe(200);
    expect((await exportCsv(client, shared.householdId)).response.status).toBe(
      200,
    );
    const foreign = await newAccount("export-audit-foreign@example.com");
    expect((await exportCsv(client, foreign.householdId)).response.status).toBe(
      404,
    );

    const audits = await inventoryAuditEvents(user.id);
    const event = {
      action: "INVENTORY_EXPORTED",
      actorId: user.id,
      targetType: "Household",
      oldValues: null,
      newValues: null,
      ipAddress: "127.0.0.1",
    };
    expect(audits).toEqual([
      { ...event, targetId: householdId },
      { ...event, targetId: shared.householdId },
    ]);
  });
});

describe("names that do not round-trip", () => {
  it("reports a stored tag with a comma", async () => {
    const source = await newAccount("comma-tag-a@example.com");
    const target = await newAccount("comma-tag-b@example.com");
    await importCsv(
      source.client,
      "HB.import_ref,HB.location,HB.name,HB.tags\nr1,Hall,Chair,Outdoor\n",
    );
    // Imports before this check could store such a tag name.
    await prisma.tag.updateMany({
      where: { householdId: source.householdId },
      data: { name: "Red, Blue", nameKey: "red, blue" },
    });

    const exported = (await exportCsv(source.client)).body;
    expect(parseCsv(exported)[1]!.slice(0, 6)).toEqual([
      "r1",
      "Hall",
      "Chair",
      "",
      "1",
      "Red, Blue",
    ]);
    const jobId = await uploadCsv(target.client, exported);
    expect(await fetchProblems(target.client, jobId)).toEqual([
      {
        row: 2,
        column: "HB.tags",
        value: "Red, Blue",
        problem:
          "The tag “Red, Blue” contains a comma, and tag names cannot contain commas. Separate tags in HB.tags with “;”, such as “Red; Blue”, or rename the tag.",
      },
    ]);
  });
});

describe("export scope", () => {
  it("never includes other households", async () => {
    const owner = await newAccount("scope-owner@example.com");
    const stranger = await newAccount("scope-stranger@example.com");
    const shared = await newAccount("scope-shared@example.com");
    await importCsv(
      stranger.client,
      "HB.import_ref,HB.location,HB.name\nsecret-ref,Vault,Stranger secret\n",
    );
    await importCsv(
      shared.client,
      "HB.import_ref,HB.location,HB.name\nshared-ref,Hall,Shared coat\n",
    );
    await importCsv(
      owner.client,
      "HB.import_ref,HB.location,HB.name\nown-ref,Study,Own book\n",
    );
    const ownerUser = await prisma.user.findUniqueOrThrow({
      where: { email: "scope-owner@example.com" },
    });
    await prisma.membership.create({
      data: {
        householdId: shared.householdId,
        userId: ownerUser.id,
        role: "VIEWER",
      },
    });

    const own = await exportCsv(owner.client);
    expect(own.response.status).toBe(200);
    expect(own.body).toContain("Own book");
    expect(own.body).not.toContain("Stranger secret");
    expect(own.body).not.toContain("Vault");
    expect(own.body).not.toContain("Shared coat");

    const viewed = await exportCsv(owner.client, shared.householdId);
    expect(viewed.response.status).toBe(200);
    expect(viewed.body).toContain("Shared coat");
    expect(viewed.body).not.toContain("Own book");
    expect(viewed.body).not.toContain("Stranger secret");

    const foreign = await exportCsv(owner.client, stranger.householdId);
    expect(foreign.response.status).toBe(404);
    expect(foreign.body).not.toContain("Stranger secret");
    const missing = await exportCsv(owner.client, "cnotarealhousehold00000000");
    expect(missing.response.status).toBe(404);
  });

  it("redirects anonymous requests", async () => {
    const response = await fetch(new URL("/items/export", server.baseUrl), {
      redirect: "manual",
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      `/login?redirectTo=${encodeURIComponent("/items/export")}`,
    );
  });
});

describe("large files", () => {
  const ROWS = 50_000;

  function largeCsv(): string {
    const lines = [
      "HB.import_ref,HB.location,HB.name,HB.quantity,HB.tags,HB.purchase_price,HB.purchase_date,HB.insured,HB.field.Batch",
    ];
    for (let index = 0; index < ROWS; index += 1) {
      const day = String((index % 28) + 1).padStart(2, "0");
      lines.push(
        `ref-${index},Home / Room ${index % 40} / Shelf ${index % 7},Item ${index},${index % 9},tag-${index % 25}; common,${index % 1000}.${String(index % 100).padStart(2, "0")},2024-02-${day},${index % 2 === 0},batch ${index % 3}`,
      );
    }
    return lines.join("\n");
  }

  it("imports and exports 50,000 rows", async () => {
    const { client, householdId } = await newAccount("large@example.com");
    const csv = largeCsv();
    expect(Buffer.byteLength(csv)).toBeLessThan(10 * 1024 * 1024);

    const jobId = await uploadCsv(client, csv, { name: "large.csv" });
    const { body: preview } = await client.get(`/items/import?job=${jobId}`);
    expect(preview).toMatch(/data-testid="create-count">50,000</);
    expect((await confirmImport(client, jobId)).status).toBe(302);
    expect(await prisma.item.count({ where: { householdId } })).toBe(ROWS);
    expect(await prisma.location.count({ where: { householdId } })).toBe(
      1 + 40 + 40 * 7,
    );

    const { response, body } = await exportCsv(client);
    expect(response.status).toBe(200);
    const records = parseCsv(body);
    expect(records).toHaveLength(ROWS + 1);
    const header = records[0]!;
    const row = Object.fromEntries(
      header.map((name, index) => [name, records[12_345 + 1]![index]]),
    );
    expect(row).toMatchObject({
      "HB.import_ref": "ref-12345",
      "HB.location": "Home / Room 25 / Shelf 4",
      "HB.name": "Item 12345",
      "HB.quantity": "6",
      "HB.tags": "common; tag-20",
      "HB.purchase_price": "345.45",
      "HB.purchase_date": "2024-02-26",
      "HB.insured": "false",
      "HB.field.Batch": "batch 0",
    });
  }, 180_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import type { TestClient } from "../support/client";
import { registerAccount } from "../support/client";
import {
  createLocationViaForm,
  fieldErrors,
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
    name: "Dana",
    email: "details@example.com",
  });
  householdId = await ownedHouseholdId("details@example.com");
});

afterAll(async () => {
  await server.close();
});

/** Every detail of the item form, filled in. */
const allDetails = {
  manufacturer: "Makita",
  modelNumber: "DHP482",
  serialNumber: "SN-0001",
  assetId: "000-042",
  url: "https://example.com/drill",
  notes: "Keep the batteries charged.\nSecond line.",
  purchaseFrom: "Hardware store",
  purchasePrice: "19.99",
  purchaseDate: "2024-03-15",
  warrantyExpires: "2027-03-15",
  lifetimeWarranty: "true",
  warrantyDetails: "Parts only",
  insured: "true",
  soldTo: "Sam",
  soldPrice: "$5",
  soldDate: "2025-01-02",
  soldNotes: "With the case",
  archived: "true",
};

function baseFields(name: string) {
  return { name, description: "", quantity: "1", locationId: "", tags: "" };
}

describe("item details", () => {
  it("creates item with all details", async () => {
    const shed = await createLocationViaForm(client, "Shed");
    const response = await client.postForm("/items/new", {
      ...baseFields("Cordless drill"),
      locationId: shed,
      ...allDetails,
      customFieldName: ["Colour", "Voltage", "", ""],
      customFieldValue: ["Blue", "18 V", "", ""],
    });
    const id = redirectedId(response, "/items/");

    const item = await prisma.item.findUniqueOrThrow({
      where: { id },
      include: { fields: { orderBy: { name: "asc" } } },
    });
    expect(item.manufacturer).toBe("Makita");
    expect(item.modelNumber).toBe("DHP482");
    expect(item.serialNumber).toBe("SN-0001");
    expect(item.assetId).toBe(42);
    expect(item.url).toBe("https://example.com/drill");
    expect(item.notes).toBe("Keep the batteries charged.\nSecond line.");
    expect(item.purchaseFrom).toBe("Hardware store");
    expect(item.purchasePrice).toBe(1999n);
    expect(item.purchaseDate?.toISOString()).toBe("2024-03-15T00:00:00.000Z");
    expect(item.warrantyExpires?.toISOString()).toBe(
      "2027-03-15T00:00:00.000Z",
    );
    expect(item.lifetimeWarranty).toBe(true);
    expect(item.warrantyDetails).toBe("Parts only");
    expect(item.insured).toBe(true);
    expect(item.soldTo).toBe("Sam");
    expect(item.soldPrice).toBe(500n);
    expect(item.soldDate?.toISOString()).toBe("2025-01-02T00:00:00.000Z");
    expect(item.soldNotes).toBe("With the case");
    expect(item.archived).toBe(true);
    expect(item.fields.map((field) => [field.name, field.value])).toEqual([
      ["Colour", "Blue"],
      ["Voltage", "18 V"],
    ]);

    const household = await prisma.household.findUniqueOrThrow({
      where: { id: householdId },
    });
    expect(household.currency).toBe("USD");

    const { response: page, body } = await client.get(`/items/${id}`);
    expect(page.status).toBe(200);
    expect(body).toContain("$19.99");
    expect(body).toContain("$5.00");
    expect(body).toContain("000-042");
    expect(body).toContain("2024-03-15");
    expect(body).toContain("Archived");
    expect(body).toMatch(
      /<a href="https:\/\/example.com\/drill"[^>]*rel="noopener noreferrer nofollow"[^>]*>https:\/\/example.com\/drill<\/a>/,
    );
    expect(body).toMatch(/<dt[^>]*>Colour<\/dt><dd[^>]*>Blue<\/dd>/);
    expect(body).toMatch(/<dt[^>]*>Insured<\/dt><dd[^>]*>Yes<\/dd>/);
  });

  it("stores money as exact minor units", async () => {
    const cases: [string, bigint][] = [
      ["0.29", 29n],
      ["0.1", 10n],
      ["1234567.89", 123456789n],
      ["USD 7", 700n],
      ["", -1n],
    ];
    for (const [text, expected] of cases) {
      const response = await client.postForm("/items/new", {
        ...baseFields(`Priced ${text || "none"}`),
        purchasePrice: text,
      });
      const id = redirectedId(response, "/items/");
      const item = await prisma.item.findUniqueOrThrow({ where: { id } });
      expect(item.purchasePrice, text).toBe(expected === -1n ? null : expected);
    }
  });

  it("rejects bad date and price", async () => {
    const before = await prisma.item.count({ where: { householdId } });
    const response = await client.postForm("/items/new", {
      ...baseFields("Kettle"),
      manufacturer: "Acme",
      purchaseDate: "2024-02-30",
      purchasePrice: "1,234.50",
      soldDate: "0202-01-01",
      customFieldName: ["Colour"],
      customFieldValue: ["Red"],
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain(
      "Purchase date: “2024-02-30” is not a calendar date. Check the month and day; MM/DD/YYYY puts the month first.",
    );
    expect(body).toContain(
      "Purchase price: Write the amount without thousands separators and with a point before the decimals, such as 1234.50.",
    );
    expect(body).toContain(
      "Sold date: The year 0202 is before 1900. Check the year for a missing digit.",
    );
    expect(body).toContain('value="Kettle"');
    expect(body).toContain('value="Acme"');
    expect(body).toContain('value="1,234.50"');
    expect(body).toContain('value="Colour"');
    expect(body).toContain('value="Red"');
    expect(await prisma.item.count({ where: { householdId } })).toBe(before);
  });

  it("rejects unsafe URL and custom field gaps", async () => {
    const response = await client.postForm("/items/new", {
      ...baseFields("Link"),
      url: "javascript:alert(1)",
      customFieldName: ["Colour", "", "colour", "Size"],
      customFieldValue: ["Red", "orphan", "Blue", ""],
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain(
      "URL: “javascript:alert(1)” is not a web address. Enter a full URL that starts with https:// or http://.",
    );
    expect(body).toContain(
      "Custom field 2: enter a name for the value “orphan”, or clear the value.",
    );
    expect(body).toContain(
      "Custom field 3: “colour” is already custom field 1. Use each name once.",
    );
    expect(body).toContain(
      "Custom field 4: enter a value for “Size”, or clear its name to remove it.",
    );
  });

  it("reads yes/no words like CSV", async () => {
    const cases: [string, boolean][] = [
      ["true", true],
      ["on", true],
      ["yes", true],
      ["1", true],
      ["false", false],
      ["off", false],
      ["no", false],
      ["0", false],
      ["", false],
    ];
    for (const [text, expected] of cases) {
      const response = await client.postForm("/items/new", {
        ...baseFields(`Insured ${text || "empty"}`),
        insured: text,
        lifetimeWarranty: text,
        archived: text,
      });
      const id = redirectedId(response, "/items/");
      const item = await prisma.item.findUniqueOrThrow({ where: { id } });
      expect(item.insured, text).toBe(expected);
      expect(item.lifetimeWarranty, text).toBe(expected);
      expect(item.archived, text).toBe(expected);
    }

    const absent = await client.postForm("/items/new", baseFields("Bare"));
    const id = redirectedId(absent, "/items/");
    const item = await prisma.item.findUniqueOrThrow({ where: { id } });
    expect(item.insured).toBe(false);
    expect(item.lifetimeWarranty).toBe(false);
    expect(item.archived).toBe(false);
  });

  it("rejects other yes/no values", async () => {
    const response = await client.postForm("/items/new", {
      ...baseFields("Bicycle"),
      serialNumber: "BK-9",
      insured: "maybe",
      archived: "2",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "insured")).toEqual([
      "Insured: “maybe” is not a yes/no value. Tick or clear the box, or send true or false, yes or no, 1 or 0, or on or off.",
    ]);
    expect(fieldErrors(body, "archived")).toEqual([
      "Archived: “2” is not a yes/no value. Tick or clear the box, or send true or false, yes or no, 1 or 0, or on or off.",
    ]);
    expect(fieldErrors(body, "lifetimeWarranty")).toEqual([]);
    expect(body).toContain('value="Bicycle"');
    expect(body).toContain('value="BK-9"');
    expect(await prisma.item.count({ where: { name: "Bicycle" } })).toBe(0);
  });

  it("rejects white space in the URL", async () => {
    const response = await client.postForm("/items/new", {
      ...baseFields("Manual"),
      url: "https://example.com/a b",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(fieldErrors(body, "url")).toEqual([
      "URL: “https://example.com/a b” contains a space. Write spaces as %20, or remove them.",
    ]);
    expect(body).toContain('value="https://example.com/a b"');

    const control = await client.postForm("/items/new", {
      ...baseFields("Manual"),
      url: "https://example.com/a\u0007b",
    });
    expect(control.status).toBe(400);
    expect(fieldErrors(await control.text(), "url")).toEqual([
      "URL: “https://example.com/a\u0007b” contains the white space, control or invisible character U+0007. Remove it, or write it percent-encoded.",
    ]);
    expect(await prisma.item.count({ where: { name: "Manual" } })).toBe(0);
  });

  it("edits details and custom fields", async () => {
    const created = await client.postForm("/items/new", {
      ...baseFields("Tent"),
      purchasePrice: "120",
      purchaseDate: "03/15/2024",
      insured: "true",
      customFieldName: ["Colour", "Weight"],
      customFieldValue: ["Green", "3 kg"],
    });
    const id = redirectedId(created, "/items/");

    const { body: form } = await client.get(`/items/${id}/edit`);
    expect(form).toContain('value="120.00"');
    expect(form).toMatch(/type="date"[^>]*value="2024-03-15"/);
    expect(form).toMatch(/<input[^>]*name="insured"[^>]* checked=""/);
    expect(form).toMatch(/<input[^>]*name="lifetimeWarranty" value="true"\/>/);
    expect(form).toContain('value="Green"');
    expect(form).toContain('value="3 kg"');

    const response = await client.postForm(`/items/${id}/edit`, {
      ...baseFields("Tent"),
      purchasePrice: "0.10",
      purchaseDate: "",
      soldDate: "2025-06-30",
      customFieldName: ["Colour", "", "Poles"],
      customFieldValue: ["Orange", "", "4"],
    });
    expect(response.status).toBe(302);
    const item = await prisma.item.findUniqueOrThrow({
      where: { id },
      include: { fields: { orderBy: { name: "asc" } } },
    });
    expect(item.purchasePrice).toBe(10n);
    expect(item.purchaseDate).toBeNull();
    expect(item.soldDate?.toISOString()).toBe("2025-06-30T00:00:00.000Z");
    expect(item.insured).toBe(false);
    expect(item.fields.map((field) => [field.name, field.value])).toEqual([
      ["Colour", "Orange"],
      ["Poles", "4"],
    ]);
  });

  it("keeps details on rejected edit", async () => {
    const created = await client.postForm("/items/new", {
      ...baseFields("Stove"),
      serialNumber: "ST-1",
      purchasePrice: "45.50",
    });
    const id = redirectedId(created, "/items/");
    const response = await client.postForm(`/items/${id}/edit`, {
      ...baseFields("Stove"),
      serialNumber: "ST-2",
      purchasePrice: "45.505",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain(
      "Purchase price: USD amounts have at most 2 decimal places.",
    );
    expect(body).toContain('value="ST-2"');
    expect(body).toContain('value="45.505"');
    const item = await prisma.item.findUniqueOrThrow({ where: { id } });
    expect(item.serialNumber).toBe("ST-1");
    expect(item.purchasePrice).toBe(4550n);
  });
});

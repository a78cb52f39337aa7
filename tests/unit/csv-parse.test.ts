import { describe, expect, it } from "vitest";

import {
  EXPORT_COLUMNS,
  guardFormula,
  unguardFormula,
} from "~/modules/inventory/csv/columns";
import type {
  ParsedImportFile,
  ParsedRow,
} from "~/modules/inventory/csv/parse";
import {
  DECODE_CHUNK_BYTES,
  parseImportCsv,
  parseImportCsvPausing,
  parseQuantity,
  splitLocationPath,
  splitTagCell,
} from "~/modules/inventory/csv/parse";

const TODAY = new Date("2026-06-01T12:00:00Z");

function parseOk(text: string, maxRows?: number): ParsedImportFile {
  const result = parseImportCsv(text, {
    currency: "USD",
    today: TODAY,
    maxRows,
  });
  if (!result.ok) throw new Error(result.fileErrors.join("\n"));
  return result;
}

function fileErrors(text: string, maxRows?: number): string[] {
  const result = parseImportCsv(text, {
    currency: "USD",
    today: TODAY,
    maxRows,
  });
  if (result.ok) throw new Error("expected the file to be rejected");
  return result.fileErrors;
}

function onlyRow(file: ParsedImportFile): ParsedRow {
  expect(file.rows).toHaveLength(1);
  return file.rows[0]!;
}

const EVERY_COLUMN_ROW = [
  "ref-1",
  " Home / Garage /Shelf 2",
  "Cordless drill",
  "18 V, two batteries",
  "3",
  "Tools; power ;tools",
  "000-042",
  "Keep charged",
  "https://example.com/drill",
  "Makita",
  "DHP482",
  "SN-123",
  "Hardware store",
  "$149.99",
  "03/15/2023",
  "2026-03-15",
  "Two years, parts only",
  "no",
  "yes",
  "false",
  "Sam",
  "80.00",
  "2025/01/02",
  "Sold with case",
  "parent-1",
];

describe("parseImportCsv columns", () => {
  it("reads every column", () => {
    const header = [...EXPORT_COLUMNS, "HB.field.Colour", "Old notes"];
    const row = [...EVERY_COLUMN_ROW, "Blue", "ignored"];
    const quoted = (cells: string[]) =>
      cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(",");
    const file = parseOk(`${quoted(header)}\n${quoted(row)}\n`);

    expect(file.problems).toEqual([]);
    expect(file.delimiter).toBe(",");
    expect(file.columns).toEqual([...EXPORT_COLUMNS, "HB.field.Colour"]);
    expect(file.ignoredColumns).toEqual([
      { name: "Old notes", reason: "Not an HB. column." },
    ]);
    expect(file.customFieldNames).toEqual(["Colour"]);
    const parsed = onlyRow(file);
    expect(parsed.row).toBe(2);
    expect(parsed.importRef).toBe("ref-1");
    expect(parsed.locationPath).toEqual(["Home", "Garage", "Shelf 2"]);
    expect(parsed.name).toBe("Cordless drill");
    expect(parsed.description).toBe("18 V, two batteries");
    expect(parsed.quantity).toBe(3);
    expect(parsed.tags).toEqual(["Tools", "power"]);
    expect(parsed.parentRef).toBe("parent-1");
    expect(parsed.details).toEqual({
      assetId: 42,
      notes: "Keep charged",
      url: "https://example.com/drill",
      manufacturer: "Makita",
      modelNumber: "DHP482",
      serialNumber: "SN-123",
      purchaseFrom: "Hardware store",
      purchasePrice: 14999n,
      purchaseDate: "2023-03-15",
      warrantyExpires: "2026-03-15",
      warrantyDetails: "Two years, parts only",
      lifetimeWarranty: false,
      insured: true,
      archived: false,
      soldTo: "Sam",
      soldPrice: 8000n,
      soldDate: "2025-01-02",
      soldNotes: "Sold with case",
    });
    expect([...parsed.customFields]).toEqual([["Colour", "Blue"]]);
  });

  it("accepts the alternative column names", () => {
    const file = parseOk(
      "HB.name,HB.location,HB.labels,HB.purchase_time,HB.sold_time\n" +
        "Saw,Shed,a;b,2024-01-02,2025-02-03\n",
    );
    expect(file.problems).toEqual([]);
    const parsed = onlyRow(file);
    expect(parsed.tags).toEqual(["a", "b"]);
    expect(parsed.details.purchaseDate).toBe("2024-01-02");
    expect(parsed.details.soldDate).toBe("2025-02-03");
  });

  it("lists unknown and miscased columns as ignored", () => {
    const file = parseOk(
      "HB.name,HB.location,hb.quantity,HB.colour,\nSaw,Shed,4,red,x\n",
    );
    expect(file.ignoredColumns).toEqual([
      {
        name: "hb.quantity",
        reason: "Column names are case-sensitive. Did you mean HB.quantity?",
      },
      { name: "HB.colour", reason: "Not a column of the import format." },
      { name: "(column 5)", reason: "Column 5 has no name." },
    ]);
    expect(onlyRow(file).quantity).toBeUndefined();
  });

  it("marks absent columns as undefined", () => {
    const parsed = onlyRow(parseOk("HB.location,HB.name\nShed,Saw\n"));
    expect(parsed.importRef).toBeNull();
    expect(parsed.description).toBeUndefined();
    expect(parsed.quantity).toBeUndefined();
    expect(parsed.tags).toBeUndefined();
    expect(parsed.parentRef).toBeUndefined();
    expect(parsed.details).toEqual({});
    expect(parsed.customFields.size).toBe(0);
  });
});

describe("parseImportCsv file layout", () => {
  it("detects tab delimiters", () => {
    const file = parseOk(
      "HB.name\tHB.location\tHB.purchase_price\nDrill, cordless\tHome / Garage\t12.50\n",
    );
    expect(file.delimiter).toBe("\t");
    const parsed = onlyRow(file);
    expect(parsed.name).toBe("Drill, cordless");
    expect(parsed.locationPath).toEqual(["Home", "Garage"]);
    expect(parsed.details.purchasePrice).toBe(1250n);
  });

  it("strips a byte order mark", () => {
    const file = parseOk("\uFEFFHB.name,HB.location\nSaw,Shed\n");
    expect(file.columns).toEqual(["HB.name", "HB.location"]);
    expect(onlyRow(file).name).toBe("Saw");
  });

  it("reads quoted commas, quotes and newlines", () => {
    const file = parseOk(
      'HB.name,HB.location,HB.description\r\n"Lamp, ""big""",Hall,"Line 1\r\nLine 2, more"\r\nChair,Hall,\r\n',
    );
    expect(file.problems).toEqual([]);
    expect(
      file.rows.map((row) => [row.row, row.name, row.description]),
    ).toEqual([
      [2, 'Lamp, "big"', "Line 1\r\nLine 2, more"],
      [3, "Chair", ""],
    ]);
  });

  it("counts blank rows in row numbers", () => {
    const file = parseOk(
      'HB.name,HB.location,HB.quantity\nA,Hall,1\n\n,,\n"B\nstill B",Hall,x\n',
    );
    expect(file.rows.map((row) => row.row)).toEqual([2, 5]);
    expect(file.problems).toEqual([
      {
        row: 5,
        column: "HB.quantity",
        value: "x",
        message:
          "“x” is not a whole number. Enter a whole number from 0 to 1,000,000.",
      },
    ]);
  });

  it("reports extra fields on a row", () => {
    const file = parseOk(
      "HB.name,HB.location\nLamp,Hall,extra,more\nChair,Hall,\n",
    );
    expect(file.problems).toEqual([
      {
        row: 2,
        column: "",
        value: "extra,more",
        message:
          "The row has 4 fields but the header has 2. Quote fields that contain the delimiter, or add names for the extra columns.",
      },
    ]);
  });

  it("treats missing trailing fields as empty", () => {
    const parsed = onlyRow(
      parseOk("HB.name,HB.location,HB.description\nLamp,Hall\n"),
    );
    expect(parsed.description).toBe("");
  });

  it.each([
    ["", "The file is empty."],
    ["\uFEFF  \n", "The file is empty."],
    ["HB.name,HB.location\n", "The file has a header but no item rows."],
    ["HB.name,HB.location\n,\n", "The file has a header but no item rows."],
    ["HB.name\nLamp\n", "The header has no HB.location column"],
    ["Name,Location\nLamp,Hall\n", "The header has no HB.location column"],
    [
      "HB.name,HB.location,HB.tags,HB.labels\nLamp,Hall,a,b\n",
      "Columns “HB.tags” and “HB.labels” set the same value.",
    ],
    [
      "HB.name,HB.location,HB.field.Colour,HB.field.colour\nLamp,Hall,a,b\n",
      "Columns “HB.field.Colour” and “HB.field.colour” set the same value.",
    ],
    [
      "HB.name,HB.location,HB.field.\nLamp,Hall,a\n",
      "Column “HB.field.”: Enter a name for the custom field.",
    ],
    [
      'HB.name,HB.location\n"Lamp,Hall\n',
      "The file is not valid CSV near line",
    ],
    [
      "HB.name,HB.location\nLa\u0000mp,Hall\n",
      "Line 2 contains a NUL character",
    ],
  ])("rejects file %j", (text, message) => {
    const errors = fileErrors(text);
    expect(errors.join("\n")).toContain(message);
  });

  it("limits the number of rows", () => {
    const rows = "A,Hall\nB,Hall\nC,Hall\n";
    expect(parseOk(`HB.name,HB.location\n${rows}`, 3).rows).toHaveLength(3);
    expect(fileErrors(`HB.name,HB.location\n${rows}D,Hall\n`, 3)).toEqual([
      "The file has 4 item rows. Split it into files of at most 3 rows and import them one after another.",
    ]);
  });
});

describe("parseImportCsv cells", () => {
  it("reports each bad cell with row, column and value", () => {
    const file = parseOk(
      [
        "HB.import_ref,HB.name,HB.location,HB.quantity,HB.purchase_price,HB.purchase_date,HB.insured,HB.url,HB.parent_import_ref",
        "r1,Good,Hall,1,1.00,2024-01-01,yes,,",
        'r2,,Hall,-1,"1,234.50",0202-01-01,maybe,javascript:alert(1),r2',
        "r1,Copy,Hall,1000001,,,,,",
      ].join("\n"),
    );
    expect(file.problems).toEqual([
      {
        row: 3,
        column: "HB.name",
        value: "",
        message: "Enter a name for the item.",
      },
      {
        row: 3,
        column: "HB.quantity",
        value: "-1",
        message:
          "A quantity cannot be negative. Enter a whole number from 0 to 1,000,000.",
      },
      {
        row: 3,
        column: "HB.purchase_price",
        value: "1,234.50",
        message:
          "Write the amount without thousands separators and with a point before the decimals, such as 1234.50.",
      },
      {
        row: 3,
        column: "HB.purchase_date",
        value: "0202-01-01",
        message:
          "The year 0202 is before 1900. Check the year for a missing digit.",
      },
      {
        row: 3,
        column: "HB.insured",
        value: "maybe",
        message:
          "“maybe” is not a yes/no value. Use true or false, yes or no, or 1 or 0.",
      },
      {
        row: 3,
        column: "HB.url",
        value: "javascript:alert(1)",
        message:
          "“javascript:alert(1)” is not a web address. Enter a full URL that starts with https:// or http://.",
      },
      {
        row: 3,
        column: "HB.parent_import_ref",
        value: "r2",
        message:
          "An item cannot be its own parent. Enter the import reference of another row or item.",
      },
      {
        row: 4,
        column: "HB.import_ref",
        value: "r1",
        message:
          "Row 2 already uses this import reference. Give each row its own.",
      },
      {
        row: 4,
        column: "HB.quantity",
        value: "1000001",
        message:
          "1000001 is too large. Enter a whole number from 0 to 1,000,000.",
      },
    ]);
  });

  it("reads empty detail cells as unset", () => {
    const parsed = onlyRow(
      parseOk(
        "HB.name,HB.location,HB.purchase_price,HB.purchase_date,HB.insured,HB.asset_id,HB.field.Colour\nLamp,,,,,,\n",
      ),
    );
    expect(parsed.locationPath).toEqual([]);
    expect(parsed.details).toEqual({
      purchasePrice: null,
      purchaseDate: null,
      insured: false,
      assetId: null,
    });
    expect([...parsed.customFields]).toEqual([["Colour", null]]);
  });

  it.each(["///", " / / ", "/"])(
    "reports location %j without names",
    (cell) => {
      const file = parseOk(`HB.name,HB.location\nLamp,"${cell}"\n`);
      expect(file.problems).toEqual([
        {
          row: 2,
          column: "HB.location",
          value: cell,
          message:
            "HB.location contains no location name. Enter the item's location path, such as “Home / Garage”, or leave the cell empty for an item without a location.",
        },
      ]);
    },
  );

  it.each(["", "   "])("reads location %j as no location", (cell) => {
    const file = parseOk(`HB.name,HB.location\nLamp,"${cell}"\n`);
    expect(file.problems).toEqual([]);
    expect(onlyRow(file).locationPath).toEqual([]);
  });

  it("reports tags with commas", () => {
    const file = parseOk(
      [
        "HB.name,HB.location,HB.tags",
        'Chair,Hall,"Red, Blue;Outdoor"',
        'Table,Hall,"Outdoor; Red,Blue"',
        "Bench,Hall,Red;Blue",
      ].join("\n"),
    );
    const message = (tag: string) =>
      `The tag “${tag}” contains a comma, and tag names cannot contain commas. Separate tags in HB.tags with “;”, such as “Red; Blue”, or rename the tag.`;
    expect(file.problems).toEqual([
      {
        row: 2,
        column: "HB.tags",
        value: "Red, Blue;Outdoor",
        message: message("Red, Blue"),
      },
      {
        row: 3,
        column: "HB.tags",
        value: "Outdoor; Red,Blue",
        message: message("Red,Blue"),
      },
    ]);
    expect(file.rows.map((row) => row.tags)).toEqual([
      undefined,
      undefined,
      ["Red", "Blue"],
    ]);
  });

  it("removes the formula guard", () => {
    const parsed = onlyRow(
      parseOk("HB.name,HB.location,HB.notes\n'=SUM(A1),Hall,'-5 degrees\n"),
    );
    expect(parsed.name).toBe("=SUM(A1)");
    expect(parsed.details.notes).toBe("-5 degrees");
  });
});

describe("cell splitters", () => {
  it.each([
    ["Home / Garage / Shelf 2", ["Home", "Garage", "Shelf 2"]],
    [" Home / Garage /Shelf 2", ["Home", "Garage", "Shelf 2"]],
    ["//Home//Garage/", ["Home", "Garage"]],
    ["Home", ["Home"]],
    [" / ", []],
    ["", []],
  ])("splits location %j", (text, expected) => {
    expect(splitLocationPath(text)).toEqual(expected);
  });

  it.each([
    ["Tools; power ;tools;; garden ", ["Tools", "power", "garden"]],
    [";", []],
    ["", []],
    ["a,b", ["a,b"]],
  ])("splits tags %j", (text, expected) => {
    expect(splitTagCell(text)).toEqual(expected);
  });

  it.each([
    ["", 1],
    ["0", 0],
    [" 12 ", 12],
    ["+3", 3],
    ["1000000", 1_000_000],
  ])("reads quantity %j", (text, expected) => {
    expect(parseQuantity(text)).toEqual({ ok: true, value: expected });
  });

  it.each(["-1", "− 2", "2.5", "1,000", "1000001", "ten"])(
    "rejects quantity %j",
    (text) => {
      expect(parseQuantity(text).ok).toBe(false);
    },
  );

  it.each([
    ["=1+1", "'=1+1"],
    ["+44 20", "'+44 20"],
    ["-5 degrees", "'-5 degrees"],
    ["@home", "'@home"],
    ["\tTab", "'\tTab"],
    ["'=already", "''=already"],
    ["plain", "plain"],
    ["it's", "it's"],
    ["", ""],
  ])("guards formula %j and restores it", (text, guarded) => {
    expect(guardFormula(text)).toBe(guarded);
    expect(unguardFormula(guardFormula(text))).toBe(text);
  });
});

describe("parseImportCsvPausing", () => {
  it("returns what parseImportCsv returns", async () => {
    const header =
      "HB.import_ref,HB.name,HB.location,HB.quantity,HB.tags,HB.purchase_date";
    const row = (index: number) => {
      const quantity = index % 100 === 0 ? "-1" : String(index % 9);
      const day = String((index % 28) + 1).padStart(2, "0");
      return `ref-${index},"Ünïcödé ✓ item ${index}, ${"x".repeat(100)}",Home / Room ${index % 7},${quantity},tag-${index % 5},2024-02-${day}`;
    };
    // Rows fill the first chunk of the decoder up to a few bytes. The "é"
    // run of the next row starts one byte before the end of the chunk, so
    // the chunk ends inside a two-byte character.
    const first = [header];
    let bytes = Buffer.byteLength(header);
    const splitStart = '\r\nsplit,"';
    while (
      bytes + Buffer.byteLength(`\r\n${row(first.length - 1)}${splitStart}`) <
      DECODE_CHUNK_BYTES - 10
    ) {
      bytes += Buffer.byteLength(`\r\n${row(first.length - 1)}`);
      first.push(row(first.length - 1));
    }
    const count = first.length - 1;
    const prefix = `${first.join("\r\n")}${splitStart}`;
    const padding = DECODE_CHUNK_BYTES - 1 - Buffer.byteLength(prefix);
    const splitName = `${"x".repeat(padding)}${"é".repeat(10)}`;
    const lines = [`${prefix}${splitName}",Hall,1,,`];
    for (let index = count; index < 2_500; index += 1) lines.push(row(index));
    const text = lines.join("\r\n");
    const options = { currency: "USD", today: TODAY };

    const pausing = await parseImportCsvPausing(text, options);
    expect(pausing).toEqual(parseImportCsv(text, options));
    if (!pausing.ok) throw new Error(pausing.fileErrors.join("\n"));
    expect(pausing.rows).toHaveLength(2_501);
    expect(pausing.rows[count]!.name).toBe(splitName);
    expect(pausing.rows[2_500]!.name).toBe(
      `Ünïcödé ✓ item 2499, ${"x".repeat(100)}`,
    );
    expect(pausing.problems).toHaveLength(25);
  });

  it("returns the same file errors", async () => {
    const options = { currency: "USD", today: TODAY };
    for (const text of [
      "",
      'HB.name,HB.location\nLamp,Hall,"open',
      "HB.name\nLamp\n",
      "HB.name,HB.location\nS\u0000aw,Hall\n",
    ]) {
      const pausing = await parseImportCsvPausing(text, options);
      expect(pausing.ok, text).toBe(false);
      expect(pausing, text).toEqual(parseImportCsv(text, options));
    }
  });
});

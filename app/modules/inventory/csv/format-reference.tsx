import { ITEM_DETAIL_FIELDS } from "../item-details";
import {
  DESCRIPTION_MAX_LENGTH,
  ITEM_NAME_MAX_LENGTH,
  QUANTITY_MAX,
  TAGS_PER_ITEM_MAX,
} from "../schemas";
import { DATE_MIN_YEAR } from "../values";
import {
  CUSTOM_FIELD_PREFIX,
  IMPORT_MAX_BYTES,
  IMPORT_MAX_ROWS,
  LOCATION_PATH_MAX_DEPTH,
} from "./columns";

const numberFormat = new Intl.NumberFormat("en-US");

const DETAIL_FORMATS: Record<string, string> = {
  text: "Text.",
  date: `A date as YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD or an RFC 3339 timestamp (its date is used). Years before ${DATE_MIN_YEAR} are rejected.`,
  money:
    "A plain decimal number such as 1234.50, optionally with the household currency's symbol or code. Thousands separators, decimal commas and negative amounts are rejected.",
  boolean: "true/false, t/f, 1/0 or yes/no, in any case. Empty means false.",
  assetId: "Digits with an optional dash, such as 000-042.",
  url: "A full web address that starts with https:// or http://.",
};

const ALIASES: Record<string, string> = {
  "HB.purchase_date": "also HB.purchase_time",
  "HB.sold_date": "also HB.sold_time",
};

/** Renders the description of the CSV import and export format. */
export function ImportFormatReference() {
  return (
    <details className="card space-y-3" open>
      <summary className="cursor-pointer text-lg font-semibold">
        File format
      </summary>
      <ul className="list-disc space-y-1 pl-6 text-sm">
        <li>
          {`At most ${IMPORT_MAX_BYTES / 1024 / 1024} MB and ${numberFormat.format(IMPORT_MAX_ROWS)} item rows per file.`}
        </li>
        <li>
          The first row names the columns. Names start with “HB.”, are
          case-sensitive and may come in any order. Other columns are listed as
          ignored.
        </li>
        <li>
          Cells are separated by commas or by tabs, detected from the first row.
          The file is UTF-8 text, with or without a byte order mark. Quoted
          cells may contain commas, quotes written as "" and line breaks.
        </li>
        <li>
          Row numbers in problems count the header as row 1, as spreadsheets do.
          Blank rows are skipped.
        </li>
        <li>
          A row whose HB.import_ref matches an item imported earlier, or the ID
          of an item without one, updates that item. Columns the file does not
          have keep their current values. An export from Dokodo gives every item
          a reference, so exporting, editing and importing again updates the
          items in place.
        </li>
        <li>
          Text that starts with ', followed by =, +, - or @ loses the first ',
          which export adds so that spreadsheets do not run the text as a
          formula.
        </li>
      </ul>
      <table className="w-full text-left text-sm">
        <thead>
          <tr>
            <th scope="col" className="pr-4">
              Column
            </th>
            <th scope="col">Content</th>
          </tr>
        </thead>
        <tbody className="align-top">
          <tr>
            <td className="pr-4">
              <code>HB.import_ref</code>
            </td>
            <td>
              Your reference for the row, unique in the file and the household.
            </td>
          </tr>
          <tr>
            <td className="pr-4">
              <code>HB.location</code> (required)
            </td>
            <td>
              {`A location path such as “Home / Garage / Shelf 2”, split on “/”, up to ${LOCATION_PATH_MAX_DEPTH} levels. Names are matched ignoring case and missing locations are created. An empty cell means no location. A cell with only “/” and spaces, such as “ / / ”, is reported as a problem.`}
            </td>
          </tr>
          <tr>
            <td className="pr-4">
              <code>HB.name</code> (required)
            </td>
            <td>{`The item name, up to ${ITEM_NAME_MAX_LENGTH} characters.`}</td>
          </tr>
          <tr>
            <td className="pr-4">
              <code>HB.description</code>
            </td>
            <td>{`Up to ${numberFormat.format(DESCRIPTION_MAX_LENGTH)} characters.`}</td>
          </tr>
          <tr>
            <td className="pr-4">
              <code>HB.quantity</code>
            </td>
            <td>
              {`A whole number from 0 to ${numberFormat.format(QUANTITY_MAX)}; empty means 1.`}
            </td>
          </tr>
          <tr>
            <td className="pr-4">
              <code>HB.tags</code> (also <code>HB.labels</code>)
            </td>
            <td>
              {`Tag names separated by “;”, at most ${TAGS_PER_ITEM_MAX}. Missing tags are created. Tag names cannot contain commas, because the item form separates tags with commas.`}
            </td>
          </tr>
          {ITEM_DETAIL_FIELDS.map((field) => (
            <tr key={field.key}>
              <td className="pr-4">
                <code>{field.column}</code>
                {ALIASES[field.column] ? ` (${ALIASES[field.column]})` : ""}
              </td>
              <td>{`${field.label}. ${DETAIL_FORMATS[field.kind.type]}`}</td>
            </tr>
          ))}
          <tr>
            <td className="pr-4">
              <code>HB.parent_import_ref</code>
            </td>
            <td>
              The import reference of the item this one is part of, from this
              file or an earlier import.
            </td>
          </tr>
          <tr>
            <td className="pr-4">
              <code>{`${CUSTOM_FIELD_PREFIX}<Name>`}</code>
            </td>
            <td>
              A custom field called Name. An empty cell removes the field.
            </td>
          </tr>
        </tbody>
      </table>
    </details>
  );
}

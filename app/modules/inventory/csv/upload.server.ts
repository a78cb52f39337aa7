import { logger } from "~/utils/logger.server";

import { IMPORT_MAX_BYTES } from "./columns";

/** Room for the form's other fields and the multipart boundaries, in bytes. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

const TOO_LARGE_MESSAGE = `The file is larger than ${IMPORT_MAX_BYTES / 1024 / 1024} MB. Split it into smaller files and import them one after another.`;

/** The outcome of reading an upload form or its file. */
export type UploadResult<T> =
  { ok: true; value: T } | { ok: false; status: 400 | 413; message: string };

/**
 * Returns a stream that errors once more than `maxBytes` bytes have passed
 * through, and a function that returns whether it did.
 */
function limitBytes(maxBytes: number): {
  stream: TransformStream<Uint8Array, Uint8Array>;
  exceeded: () => boolean;
} {
  let total = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        controller.error(
          new RangeError(`The request body exceeds ${maxBytes} bytes.`),
        );
      } else {
        controller.enqueue(chunk);
      }
    },
  });
  return { stream, exceeded: () => total > maxBytes };
}

/** Returns whether a request carries a multipart/form-data body. */
export function isMultipartRequest(request: Request): boolean {
  return /^multipart\/form-data\s*;/i.test(
    request.headers.get("content-type") ?? "",
  );
}

/**
 * Reads a multipart form with a file of at most IMPORT_MAX_BYTES, held in
 * memory. The whole body is limited too, so extra parts cannot grow it
 * beyond the file size plus FORM_OVERHEAD_BYTES. Returns 413 for larger
 * bodies and 400 for bodies that are not valid multipart data.
 *
 * The body is parsed by Request.formData() of Node's fetch (undici), which
 * reads quoted parameters such as filename="inventory; 2024.csv" correctly.
 * Remix's unstable_parseMultipartFormData (2.17.5) rejects a quoted name
 * that contains ";" or "=" as a malformed Content-Disposition header.
 */
export async function readUploadForm(
  request: Request,
): Promise<UploadResult<FormData>> {
  const maxBodyBytes = IMPORT_MAX_BYTES + FORM_OVERHEAD_BYTES;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes) {
    return { ok: false, status: 413, message: TOO_LARGE_MESSAGE };
  }
  if (!request.body) {
    return {
      ok: false,
      status: 400,
      message: "The upload is empty. Choose a CSV file and upload it again.",
    };
  }
  const limit = limitBytes(maxBodyBytes);
  const limited = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body.pipeThrough(limit.stream),
    // Node requires duplex "half" for a streamed request body.
    duplex: "half",
  } as RequestInit);

  try {
    const formData = await limited.formData();
    const tooLarge = [...formData.values()].some(
      (value) => value instanceof Blob && value.size > IMPORT_MAX_BYTES,
    );
    if (tooLarge) {
      return { ok: false, status: 413, message: TOO_LARGE_MESSAGE };
    }
    return { ok: true, value: formData };
  } catch (error) {
    if (limit.exceeded()) {
      return { ok: false, status: 413, message: TOO_LARGE_MESSAGE };
    }
    logger.warn(
      { event: "items.import_upload_invalid", err: error },
      "CSV upload could not be read",
    );
    return {
      ok: false,
      status: 400,
      message:
        "The upload could not be read. Choose the file again and upload it from the form on this page.",
    };
  }
}

/**
 * Returns the text of the uploaded CSV file in form field `name`, decoded
 * as strict UTF-8 with any byte order mark removed. Rejects text with NUL
 * characters, which cannot be stored.
 */
export async function readCsvFile(
  formData: FormData,
  name: string,
): Promise<UploadResult<{ fileName: string; text: string }>> {
  const file = formData.get(name);
  if (!(file instanceof Blob) || file.size === 0) {
    return { ok: false, status: 400, message: "Choose a CSV file to upload." };
  }
  // Control characters are dropped because PostgreSQL text cannot store NUL.
  const fileName =
    (file instanceof File ? file.name : "")
      .replace(/[\u0000-\u001f\u007f]/g, "")
      .trim() || "upload.csv";
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      await file.arrayBuffer(),
    );
  } catch {
    return {
      ok: false,
      status: 400,
      message: `“${fileName}” is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” and upload it again.`,
    };
  }
  const nul = text.indexOf("\u0000");
  if (nul !== -1) {
    const line = text.slice(0, nul).split("\n").length;
    return {
      ok: false,
      status: 400,
      message: `Line ${line} of “${fileName}” contains a NUL character, which CSV text never does. Check that the file is a CSV file saved as UTF-8, not a spreadsheet or UTF-16 file.`,
    };
  }
  return { ok: true, value: { fileName, text } };
}

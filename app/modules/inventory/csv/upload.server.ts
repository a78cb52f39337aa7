import {
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";

import { logger } from "~/utils/logger.server";

import { IMPORT_MAX_BYTES } from "./columns";

/** Room for the form's other fields and the multipart boundaries, in bytes. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

const TOO_LARGE_MESSAGE = `The file is larger than ${IMPORT_MAX_BYTES / 1024 / 1024} MB. Split it into smaller files and import them one after another.`;

/** The outcome of reading an upload form or its file. */
export type UploadResult<T> =
  { ok: true; value: T } | { ok: false; status: 400 | 413; message: string };

class BodyTooLargeError extends Error {}

/** Errors a stream once more than `maxBytes` bytes have passed through. */
function limitBytes(maxBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) controller.error(new BodyTooLargeError());
      else controller.enqueue(chunk);
    },
  });
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
  const limited = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body.pipeThrough(limitBytes(maxBodyBytes)),
    // Node requires duplex "half" for a streamed request body.
    duplex: "half",
  } as RequestInit);

  try {
    const formData = await unstable_parseMultipartFormData(
      limited,
      unstable_createMemoryUploadHandler({ maxPartSize: IMPORT_MAX_BYTES }),
    );
    return { ok: true, value: formData };
  } catch (error) {
    if (
      error instanceof MaxPartSizeExceededError ||
      error instanceof BodyTooLargeError
    ) {
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

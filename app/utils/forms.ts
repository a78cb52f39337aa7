import type { ZodError } from "zod";

/** Field name → messages, as returned by actions with status 400. */
export type FieldErrors = Record<string, string[] | undefined>;

/** Groups a zod error's messages by the top-level field they belong to. */
export function toFieldErrors(error: ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    (errors[field] ??= []).push(issue.message);
  }
  return errors;
}

/** Returns the string values of a form, leaving out files and secrets. */
export function keepValues(
  formData: FormData,
  omit: string[] = ["password", "newPassword", "currentPassword", "csrf"],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of formData) {
    if (typeof value === "string" && !omit.includes(key)) values[key] = value;
  }
  return values;
}

import { z } from "zod";

/** bcrypt reads at most this many bytes of a password and ignores the rest. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 10;

/** Returns the length of a string in UTF-8 bytes. */
export function utf8ByteLength(value: string): number {
  return new TextEncoder().encode(value).length;
}

/**
 * The password a new account or a password change must meet: 10 characters
 * (counted as code points), upper and lower case, a digit and a symbol, and
 * at most 72 UTF-8 bytes so bcrypt never truncates it.
 */
export const newPasswordSchema = z
  .string({ required_error: "Enter a password." })
  .superRefine((password, context) => {
    const fail = (message: string) =>
      context.addIssue({ code: z.ZodIssueCode.custom, message });

    if ([...password].length < PASSWORD_MIN_LENGTH) {
      fail(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
    }
    if (utf8ByteLength(password) > PASSWORD_MAX_BYTES) {
      fail(
        `Use at most ${PASSWORD_MAX_BYTES} bytes; this one has ${utf8ByteLength(password)} (letters outside English count as 2 to 4 bytes).`,
      );
    }
    if (!/\p{Lu}/u.test(password)) fail("Add an upper-case letter.");
    if (!/\p{Ll}/u.test(password)) fail("Add a lower-case letter.");
    if (!/\p{Nd}/u.test(password)) fail("Add a digit.");
    if (!/[^\p{L}\p{Nd}\s]/u.test(password)) {
      fail("Add a symbol such as ! or #.");
    }
  });

import {
  authenticator,
  compareWithUnknownHash,
  InvalidCredentialsError,
} from "../../utils/auth.server";
import { prisma } from "../../utils/db.server";
import type { RequestInfo } from "../../utils/request-context.server";
import { clientAddressKey, normalizeEmail } from "./keys.server";
import {
  beginSignInAttempt,
  recordSignInFailure,
  recordSignInSuccess,
} from "./lockout.server";

async function findUserIdByEmail(email: string): Promise<string | null> {
  if (email === "") return null;
  const user = await prisma.user.findUnique({
    where: { email },
    select: { id: true },
  });
  return user?.id ?? null;
}

/**
 * Checks the sign-in form behind the account lockout and returns the user,
 * or throws InvalidCredentialsError.
 *
 * A locked email gets exactly the error a wrong password or an unknown
 * email gets, also when the password is right, so a response never shows
 * whether an account exists or whether a guess was correct. The password is
 * then not compared with the stored hash; a bcrypt comparison against a
 * dummy hash and the same user lookup keep the timing alike.
 */
export async function authenticatePassword(
  request: Request,
  formData: FormData,
  info: RequestInfo,
): Promise<{ id: string }> {
  const email = normalizeEmail(formData.get("email"));
  const attempt = await beginSignInAttempt(
    email,
    clientAddressKey(info.ipAddress),
  );

  if (!attempt.admitted) {
    const userId = await findUserIdByEmail(email);
    await compareWithUnknownHash(formData.get("password"));
    await recordSignInFailure(attempt, userId, info);
    throw new InvalidCredentialsError(userId);
  }

  try {
    const user = await authenticator.authenticate("form", request);
    await recordSignInSuccess(attempt);
    return user;
  } catch (error) {
    if (error instanceof InvalidCredentialsError) {
      await recordSignInFailure(attempt, error.userId, info);
    }
    throw error;
  }
}

/**
 * Runs a second-factor check for a user who passed the password step,
 * counting a wrong code as a failed sign-in of the user's email, so codes
 * and passwords share one lockout. Returns false without calling
 * `checkCode` while the email is locked, and false for a wrong code.
 *
 * NOTE: a right password clears the consecutive count, so an attacker who
 * has the password could retry codes after each lock; only the hourly
 * limit (LOCKOUT_HOURLY_FAILURE_LIMIT) then caps the guesses.
 */
export async function verifySecondFactor(
  userId: string,
  info: RequestInfo,
  checkCode: () => Promise<boolean>,
): Promise<boolean> {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { email: true },
  });
  if (!user) return false;

  const attempt = await beginSignInAttempt(
    user.email,
    clientAddressKey(info.ipAddress),
  );
  if (!attempt.admitted) {
    await recordSignInFailure(attempt, userId, info);
    return false;
  }
  const valid = await checkCode();
  if (valid) {
    await recordSignInSuccess(attempt);
  } else {
    await recordSignInFailure(attempt, userId, info);
  }
  return valid;
}

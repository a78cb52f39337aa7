import type { Prisma } from "./db.server";
import { prisma } from "./db.server";
import { logger } from "./logger.server";
import type { RequestInfo } from "./request-context.server";

/** Names of audit events, in past tense. */
export type AuditAction =
  | "USER_REGISTERED"
  | "SIGN_IN_SUCCEEDED"
  | "SIGN_IN_FAILED"
  | "ACCOUNT_LOCKED"
  | "ACCOUNT_UNLOCKED"
  | "SIGN_IN_ADDRESS_UNLOCKED"
  | "SIGNED_OUT"
  | "EMAIL_VERIFIED"
  | "VERIFICATION_EMAIL_SENT"
  | "PASSWORD_RESET_REQUESTED"
  | "PASSWORD_RESET"
  | "PASSWORD_CHANGED"
  | "PROFILE_UPDATED"
  | "EMAIL_CHANGE_REQUESTED"
  | "EMAIL_CHANGED"
  | "SESSION_REVOKED"
  | "TWO_FACTOR_ENABLED"
  | "TWO_FACTOR_DISABLED"
  | "TWO_FACTOR_CHALLENGE_FAILED"
  | "RECOVERY_CODES_REGENERATED"
  | "RECOVERY_CODE_USED"
  | "ITEM_DELETED"
  | "LOCATION_DELETED"
  | "INVENTORY_IMPORTED"
  | "INVENTORY_EXPORTED";

export type AuditEvent = {
  action: AuditAction;
  actorId?: string | null;
  targetType?: string;
  targetId?: string;
  /** Values before the change. Never pass secrets, hashes or tokens. */
  oldValues?: Prisma.InputJsonValue;
  newValues?: Prisma.InputJsonValue;
};

/**
 * Appends an audit event. A failed write is logged at error level and
 * swallowed, because auditing must never fail the user's action.
 */
export async function recordAuditEvent(
  event: AuditEvent,
  info: RequestInfo,
): Promise<void> {
  try {
    await prisma.auditLog.create({
      data: {
        action: event.action,
        actorId: event.actorId ?? null,
        targetType: event.targetType,
        targetId: event.targetId,
        oldValues: event.oldValues,
        newValues: event.newValues,
        ipAddress: info.ipAddress,
        userAgent: info.userAgent,
        requestId: info.requestId,
      },
    });
  } catch (error) {
    logger.error(
      {
        event: "audit.write_failed",
        action: event.action,
        requestId: info.requestId,
        err: error,
      },
      "audit event could not be written",
    );
  }
}

-- Request throttle counters and sign-in lockout state. Timestamps are
-- timestamptz because the atomic statements compare them with the database
-- clock (statement_timestamp()), whatever the session time zone.

-- CreateTable
CREATE TABLE "ThrottleCounter" (
    "policy" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "resetAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ThrottleCounter_pkey" PRIMARY KEY ("policy","key")
);

-- CreateTable
CREATE TABLE "SignInLockout" (
    "emailHash" TEXT NOT NULL,
    "consecutiveFailures" INTEGER NOT NULL,
    "hourStartedAt" TIMESTAMPTZ(3) NOT NULL,
    "hourFailures" INTEGER NOT NULL,
    "lockedUntil" TIMESTAMPTZ(3),
    "lastFailureAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SignInLockout_pkey" PRIMARY KEY ("emailHash")
);

-- CreateTable
CREATE TABLE "SignInIpBlock" (
    "ip" TEXT NOT NULL,
    "windowEndsAt" TIMESTAMPTZ(3) NOT NULL,
    "emailHashes" TEXT[],
    "blockedUntil" TIMESTAMPTZ(3),

    CONSTRAINT "SignInIpBlock_pkey" PRIMARY KEY ("ip")
);

-- CreateIndex
CREATE INDEX "ThrottleCounter_resetAt_idx" ON "ThrottleCounter"("resetAt");

-- CreateIndex
CREATE INDEX "SignInLockout_lastFailureAt_idx" ON "SignInLockout"("lastFailureAt");

-- CreateIndex
CREATE INDEX "SignInIpBlock_windowEndsAt_idx" ON "SignInIpBlock"("windowEndsAt");


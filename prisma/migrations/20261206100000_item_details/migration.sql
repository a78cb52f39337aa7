-- Item details, custom fields, household currency and CSV import jobs.
-- CreateEnum
CREATE TYPE "ImportJobStatus" AS ENUM ('PENDING', 'COMPLETED');

-- AlterTable
ALTER TABLE "Household" ADD COLUMN     "currency" TEXT;

-- AlterTable
ALTER TABLE "Item" ADD COLUMN     "archived" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "assetId" INTEGER,
ADD COLUMN     "importRef" TEXT,
ADD COLUMN     "insured" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "lifetimeWarranty" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "manufacturer" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "modelNumber" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "notes" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "parentId" TEXT,
ADD COLUMN     "purchaseDate" DATE,
ADD COLUMN     "purchaseFrom" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "purchasePrice" BIGINT,
ADD COLUMN     "serialNumber" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "soldDate" DATE,
ADD COLUMN     "soldNotes" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "soldPrice" BIGINT,
ADD COLUMN     "soldTo" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "url" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "warrantyDetails" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "warrantyExpires" DATE;

-- CreateTable
CREATE TABLE "ItemField" (
    "id" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "ItemField_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportJob" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "householdId" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "csvText" TEXT NOT NULL,
    "status" "ImportJobStatus" NOT NULL DEFAULT 'PENDING',
    "result" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ImportJob_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ItemField_itemId_name_key" ON "ItemField"("itemId", "name");

-- CreateIndex
CREATE INDEX "ImportJob_userId_createdAt_idx" ON "ImportJob"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "ImportJob_expiresAt_idx" ON "ImportJob"("expiresAt");

-- CreateIndex
CREATE INDEX "Item_householdId_id_idx" ON "Item"("householdId", "id");

-- CreateIndex
CREATE INDEX "Item_parentId_idx" ON "Item"("parentId");

-- CreateIndex
CREATE UNIQUE INDEX "Item_householdId_importRef_key" ON "Item"("householdId", "importRef");

-- AddForeignKey
ALTER TABLE "Item" ADD CONSTRAINT "Item_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Item"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ItemField" ADD CONSTRAINT "ItemField_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportJob" ADD CONSTRAINT "ImportJob_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportJob" ADD CONSTRAINT "ImportJob_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Prices are amounts paid or received, never negative. Prisma does not
-- model CHECK constraints, so they live only in this migration.
ALTER TABLE "Item" ADD CONSTRAINT "Item_purchasePrice_check" CHECK ("purchasePrice" >= 0);
ALTER TABLE "Item" ADD CONSTRAINT "Item_soldPrice_check" CHECK ("soldPrice" >= 0);

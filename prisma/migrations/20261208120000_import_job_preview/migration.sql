-- The import preview is computed once, when the file is uploaded, and
-- stored with the job, so loading the preview page no longer parses and
-- plans the whole file again. Jobs stored before this column existed have
-- none and get one on their next view.

-- AlterTable
ALTER TABLE "ImportJob" ADD COLUMN     "preview" JSONB;

-- Version 4: print jobs count their attempts (the print journal of
-- kiosk-core restores the attempt number of a job found sending).
ALTER TABLE print_job ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Issue 10: every row a load read is counted once: rows_read = rows_loaded + rows_flagged
-- + rows_rejected + rows_collapsed. rows_loaded: stored, no finding; rows_flagged: stored with a
-- finding in data_quality; rows_collapsed: identical to another row of the file or to a row stored
-- by an earlier load, kept once. (Loads logged before this counted flagged and collapsed rows as
-- loaded; they keep 0 here, so the sum still holds for them.)
ALTER TABLE load_log ADD COLUMN rows_flagged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE load_log ADD COLUMN rows_collapsed BIGINT NOT NULL DEFAULT 0;

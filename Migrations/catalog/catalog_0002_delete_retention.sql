-- How long a tombstone (a record with a key and no value) is kept under compaction once it is the latest record
-- for its key, counted from its timestamp, in milliseconds (one day by default).
ALTER TABLE topics ADD COLUMN delete_retention_ms INTEGER NOT NULL DEFAULT 86400000 CHECK (delete_retention_ms >= 0);

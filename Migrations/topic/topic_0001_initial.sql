-- A topic database. Each partition's records live in a table of its own, partition_N, created by the
-- storage layer when the partition is added (STRICT, offset INTEGER PRIMARY KEY, timestamp, key, value, headers).

-- Per partition: the next offset to hand out and the first offset still kept. Offsets come from this row,
-- updated in the same transaction as the records, so they are never reused even after every row is deleted.
CREATE TABLE partition_state (
    partition INTEGER PRIMARY KEY,
    next_offset INTEGER NOT NULL DEFAULT 0,
    log_start_offset INTEGER NOT NULL DEFAULT 0,
    -- The largest record timestamp appended so far (the time index is built on this running maximum).
    max_timestamp INTEGER NOT NULL DEFAULT -1,
    -- Bytes of record data (key, value, headers) currently stored.
    size_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;

-- A sparse time index: an entry every few thousand records holds the running maximum timestamp through
-- end_offset, so "first offset at or after time T" is a range lookup plus a short bounded scan.
CREATE TABLE time_index (
    partition INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    max_timestamp INTEGER NOT NULL,
    PRIMARY KEY (partition, end_offset)
) STRICT, WITHOUT ROWID;

CREATE INDEX time_index_by_time ON time_index (partition, max_timestamp);

-- Log compaction keeps, per partition, the offset below which it has already looked, so that each pass only
-- examines what was appended since the last one. Retention may raise the log start past it; the effective cursor
-- is the larger of the two.
ALTER TABLE partition_state ADD COLUMN compacted_offset INTEGER NOT NULL DEFAULT 0;

-- The latest offset of every key compaction has seen (below the cursor), written only by compaction: appends
-- carry no index on keys. A pass looks each key of the new records up here, deletes the record it pointed at and
-- points it at the new one. size is that record's bytes (as size_bytes counts them), so deleting it needs no read;
-- tombstone_timestamp is its timestamp when it is a tombstone (a key with no value), so that tombstones past
-- delete.retention.ms are found without a scan.
CREATE TABLE compaction_keys (
    partition INTEGER NOT NULL,
    key BLOB NOT NULL,
    offset INTEGER NOT NULL,
    size INTEGER NOT NULL,
    tombstone_timestamp INTEGER,
    PRIMARY KEY (partition, key)
) STRICT, WITHOUT ROWID;

-- Entries whose record retention deleted are dropped with it (by offset); tombstones are found by time.
CREATE INDEX compaction_keys_by_offset ON compaction_keys (partition, offset);
CREATE INDEX compaction_tombstones ON compaction_keys (partition, tombstone_timestamp)
    WHERE tombstone_timestamp IS NOT NULL;

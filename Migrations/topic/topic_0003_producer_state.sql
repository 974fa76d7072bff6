-- Idempotent producers: per partition and producer, the epoch, the last sequence appended and the last few
-- batches, so that a batch sent again (after a lost connection or a crash) is answered with its original offsets
-- instead of being stored twice. Written in the same transaction as the records it describes.
--
-- batches holds the last 5 batches appended, oldest first, 24 bytes each (big-endian): int32 first_sequence,
-- int32 last_sequence, int64 base_offset, int64 log_append_time. One row is read and written per producer and
-- partition per transaction, whatever the number of batches. A row whose producer appended nothing to the
-- partition for 7 days (last_append_ms) is pruned whenever a new producer first appends to the topic.
CREATE TABLE producer_state (
    partition INTEGER NOT NULL,
    producer_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    last_sequence INTEGER NOT NULL,
    batches BLOB NOT NULL,
    last_append_ms INTEGER NOT NULL,
    PRIMARY KEY (partition, producer_id)
) STRICT, WITHOUT ROWID;

-- Share groups (KIP-932): per group and partition, the share-partition start offset (every record below it is
-- done: accepted, archived or deleted), the next offset never looked at (end_offset), and the records in flight
-- between them as runs (see SharePartition's encoding): consecutive offsets with the same state, delivery count,
-- due time and reason make one run, and offsets between runs are done. Written in the topic's own transactions,
-- with the records' produces when they are pending together. dlq_scan_from is the dead-letter topic's end offset
-- when the oldest record still being copied there was marked: after a crash the copies are looked for from there.
CREATE TABLE share_state (
    group_id TEXT NOT NULL,
    partition INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    runs BLOB NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0,
    dlq_scan_from INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, partition)
) STRICT, WITHOUT ROWID;

-- The catalog: topics and their settings, consumer-group committed offsets.
CREATE TABLE topics (
    name TEXT PRIMARY KEY,
    partitions INTEGER NOT NULL CHECK (partitions > 0),
    retention_ms INTEGER,
    retention_bytes INTEGER,
    retention_records INTEGER,
    cleanup_policy TEXT NOT NULL DEFAULT 'delete'
        CHECK (cleanup_policy IN ('delete', 'compact', 'compact,delete')),
    durability TEXT NOT NULL DEFAULT 'full' CHECK (durability IN ('full', 'normal')),
    max_message_bytes INTEGER NOT NULL,
    -- 'creating' and 'deleting' rows are invisible and finished (removed) on open after a crash.
    state TEXT NOT NULL DEFAULT 'live' CHECK (state IN ('creating', 'live', 'deleting')),
    created_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE group_offsets (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    committed_offset INTEGER NOT NULL,
    metadata TEXT,
    commit_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_offsets_by_topic ON group_offsets (topic);

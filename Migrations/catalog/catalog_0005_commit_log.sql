-- Committed offsets as a log: each commit of a partition's offset gets the next number of one sequence that only
-- grows (never reused, across restarts), replacing the number of the commit it overwrites. Kafka's
-- `__consumer_offsets` is served from it: a compacted log of the latest commit per group, topic and partition.
CREATE TABLE commit_log (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    next_offset INTEGER NOT NULL
) STRICT;

ALTER TABLE group_offsets ADD COLUMN log_offset INTEGER NOT NULL DEFAULT -1;

-- Commits made before this version are numbered in the order they were made.
UPDATE group_offsets SET log_offset = numbered.position
FROM (
    SELECT group_id, topic, partition,
        row_number() OVER (ORDER BY commit_ms, group_id, topic, partition) - 1 AS position
    FROM group_offsets
) AS numbered
WHERE group_offsets.group_id = numbered.group_id AND group_offsets.topic = numbered.topic
    AND group_offsets.partition = numbered.partition;

INSERT INTO commit_log (singleton, next_offset) VALUES (0, (SELECT count(*) FROM group_offsets));

CREATE UNIQUE INDEX group_offsets_by_log_offset ON group_offsets (log_offset);

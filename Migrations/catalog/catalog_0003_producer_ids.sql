-- Idempotent producers: the last producer id handed out. One row; an id is never handed out twice, across
-- restarts, and ids above it are unknown.
CREATE TABLE producer_ids (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    last_producer_id INTEGER NOT NULL
) STRICT;

INSERT INTO producer_ids (singleton, last_producer_id) VALUES (0, -1);

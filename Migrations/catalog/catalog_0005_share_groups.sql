-- Share groups (KIP-932): the groups that are share groups, their settings (Kafka's names; only keys set away
-- from their defaults), and the topics each has read, whose databases hold its share state (share_state).
CREATE TABLE share_groups (
    group_id TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE share_group_configs (
    group_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (group_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE share_group_topics (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    PRIMARY KEY (group_id, topic)
) STRICT, WITHOUT ROWID;

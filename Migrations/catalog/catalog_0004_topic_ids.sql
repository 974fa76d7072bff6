-- Every topic's stable id: 16 random bytes (a UUID, as Kafka names topics in Metadata v10+ and later APIs), given
-- at creation and never changed. Topics that existed before this migration get theirs here.
ALTER TABLE topics ADD COLUMN topic_id BLOB CHECK (topic_id IS NULL OR length(topic_id) = 16);

UPDATE topics SET topic_id = randomblob(16);

CREATE UNIQUE INDEX topics_by_id ON topics (topic_id);

import CSQLite
import SluiceCore

/// The catalog database (`DATA_DIR/catalog.db`): topics with their settings, and consumer groups' committed offsets.
///
/// Owned by one thread or serial queue at a time. Every write is one transaction at `synchronous=FULL`.
package final class Catalog {
    let connection: Connection

    package init(path: String) throws(SluiceError) {
        do {
            connection = try Connection(path: path)
        } catch {
            throw error.sluiceError
        }
        // Migrate first: a database from a newer Sluice must be refused before anything (the journal mode) changes.
        try Migrations.apply(Migrations.catalog, to: connection)
        do {
            try connection.execute("PRAGMA journal_mode = WAL")
            try connection.execute("PRAGMA synchronous = FULL")
        } catch {
            throw error.sluiceError
        }
    }

    /// The life stage of a topic row. Only `live` topics are visible.
    package enum TopicState: String, Sendable {
        case creating, live, deleting
    }

    // MARK: - Topics

    /// Records a new topic in the `creating` state with its id. Throws `.topicAlreadyExists` or `.topicBeingDeleted`.
    package func insertTopic(_ name: String, config: TopicConfig, now: Int64, topicID: TopicID) throws(SluiceError) {
        try write {
            let existing = try connection.statement("SELECT state FROM topics WHERE name = ?")
            existing.bind(1, name)
            if try existing.step() {
                let state = existing.text(0)
                existing.reset()
                if state == TopicState.deleting.rawValue {
                    throw SluiceError(.topicBeingDeleted, "topic '\(name)' is being deleted; try again shortly")
                }
                throw SluiceError(.topicAlreadyExists, "topic '\(name)' already exists")
            }
            let insert = try connection.statement(
                """
                INSERT INTO topics (name, partitions, retention_ms, retention_bytes, retention_records,
                    cleanup_policy, durability, max_message_bytes, state, created_ms, delete_retention_ms, topic_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'creating', ?, ?, ?)
                """
            )
            insert.bind(1, name)
            insert.bind(2, Int64(config.partitions))
            insert.bind(3, config.retentionMs)
            insert.bind(4, config.retentionBytes)
            insert.bind(5, config.retentionRecords)
            insert.bind(6, config.cleanupPolicy.name)
            insert.bind(7, config.durability.rawValue)
            insert.bind(8, Int64(config.maxMessageBytes))
            insert.bind(9, now)
            insert.bind(10, config.deleteRetentionMs)
            insert.bind(11, topicID.bytes)
            try insert.run()
        }
    }

    package func setState(_ name: String, _ state: TopicState) throws(SluiceError) {
        try write {
            let update = try connection.statement("UPDATE topics SET state = ? WHERE name = ?")
            update.bind(1, state.rawValue)
            update.bind(2, name)
            try update.run()
        }
    }

    /// Removes a topic's row and every committed offset for it.
    package func removeTopic(_ name: String) throws(SluiceError) {
        try write {
            for sql in ["DELETE FROM topics WHERE name = ?", "DELETE FROM group_offsets WHERE topic = ?"] {
                let delete = try connection.statement(sql)
                delete.bind(1, name)
                try delete.run()
            }
        }
    }

    /// Replaces a live topic's settings (partition count included). Throws `.unknownTopic`.
    package func updateTopic(_ name: String, config: TopicConfig) throws(SluiceError) {
        try write {
            let update = try connection.statement(
                """
                UPDATE topics SET partitions = ?, retention_ms = ?, retention_bytes = ?, retention_records = ?,
                    cleanup_policy = ?, durability = ?, max_message_bytes = ?, delete_retention_ms = ?
                WHERE name = ? AND state = 'live'
                """
            )
            update.bind(1, Int64(config.partitions))
            update.bind(2, config.retentionMs)
            update.bind(3, config.retentionBytes)
            update.bind(4, config.retentionRecords)
            update.bind(5, config.cleanupPolicy.name)
            update.bind(6, config.durability.rawValue)
            update.bind(7, Int64(config.maxMessageBytes))
            update.bind(8, config.deleteRetentionMs)
            update.bind(9, name)
            try update.run()
            if connection.changes == 0 { throw SluiceError.unknownTopic(name) }
        }
    }

    /// Every live topic, by name.
    package func topics() throws(SluiceError) -> [TopicDefinition] {
        try topics(state: .live)
    }

    /// Topics in a given state (recovery looks for `creating` and `deleting` ones).
    package func topics(state: TopicState) throws(SluiceError) -> [TopicDefinition] {
        do {
            let select = try connection.statement(Self.selectTopics + " WHERE state = ? ORDER BY name")
            defer { select.reset() }
            select.bind(1, state.rawValue)
            var result: [TopicDefinition] = []
            while try select.step() { result.append(Self.topic(from: select)) }
            return result
        } catch {
            throw error.sluiceError
        }
    }

    /// A live topic, or `nil`.
    package func topic(_ name: String) throws(SluiceError) -> TopicDefinition? {
        do {
            let select = try connection.statement(Self.selectTopics + " WHERE name = ? AND state = 'live'")
            defer { select.reset() }
            select.bind(1, name)
            return try select.step() ? Self.topic(from: select) : nil
        } catch {
            throw error.sluiceError
        }
    }

    private static let selectTopics = """
        SELECT name, partitions, retention_ms, retention_bytes, retention_records, cleanup_policy, durability,
            max_message_bytes, created_ms, delete_retention_ms, topic_id FROM topics
        """

    private static func topic(from row: Statement) -> TopicDefinition {
        let config = TopicConfig(
            partitions: Int32(row.int64(1)),
            retentionMs: row.optionalInt64(2),
            retentionBytes: row.optionalInt64(3),
            retentionRecords: row.optionalInt64(4),
            cleanupPolicy: CleanupPolicy(name: row.text(5) ?? "delete") ?? .delete,
            deleteRetentionMs: row.int64(9),
            durability: Durability(rawValue: row.text(6) ?? "full") ?? .full,
            maxMessageBytes: Int(row.int64(7))
        )
        return TopicDefinition(
            name: row.text(0) ?? "", config: config, createdAt: row.int64(8),
            topicID: row.blob(10).flatMap { TopicID(bytes: $0) } ?? .zero)
    }

    // MARK: - Committed offsets

    /// Stores a group's committed offsets, all in one transaction.
    package func commitOffsets(group: String, _ offsets: [CommittedOffset], now: Int64) throws(SluiceError) {
        try write {
            let upsert = try connection.statement(
                """
                INSERT INTO group_offsets (group_id, topic, partition, committed_offset, metadata, commit_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (group_id, topic, partition) DO UPDATE SET
                    committed_offset = excluded.committed_offset, metadata = excluded.metadata,
                    commit_ms = excluded.commit_ms
                """
            )
            for offset in offsets {
                upsert.bind(1, group)
                upsert.bind(2, offset.topic)
                upsert.bind(3, Int64(offset.partition))
                upsert.bind(4, offset.offset)
                upsert.bind(5, offset.metadata)
                upsert.bind(6, now)
                try upsert.run()
                upsert.reset()
            }
        }
    }

    /// A group's committed offsets, for one topic or (with `nil`) every topic.
    package func committedOffsets(group: String, topic: String? = nil) throws(SluiceError) -> [CommittedOffset] {
        do {
            let select = try connection.statement(
                """
                SELECT topic, partition, committed_offset, metadata FROM group_offsets
                WHERE group_id = ?1 AND (?2 IS NULL OR topic = ?2) ORDER BY topic, partition
                """
            )
            defer { select.reset() }
            select.bind(1, group)
            select.bind(2, topic)
            var result: [CommittedOffset] = []
            while try select.step() {
                result.append(
                    CommittedOffset(
                        topic: select.text(0) ?? "", partition: Int32(select.int64(1)),
                        offset: select.int64(2), metadata: select.text(3)))
            }
            return result
        } catch {
            throw error.sluiceError
        }
    }

    /// Every group that has committed offsets.
    package func groups() throws(SluiceError) -> [String] {
        do {
            let select = try connection.statement("SELECT DISTINCT group_id FROM group_offsets ORDER BY group_id")
            defer { select.reset() }
            var result: [String] = []
            while try select.step() { result.append(select.text(0) ?? "") }
            return result
        } catch {
            throw error.sluiceError
        }
    }

    /// Forgets a group's committed offsets; returns how many were removed.
    @discardableResult
    package func deleteGroup(_ group: String) throws(SluiceError) -> Int {
        var removed = 0
        try write {
            let delete = try connection.statement("DELETE FROM group_offsets WHERE group_id = ?")
            delete.bind(1, group)
            try delete.run()
            removed = connection.changes
        }
        return removed
    }

    /// Forgets a group's committed offsets of the given partitions, in one transaction; returns how many were
    /// removed.
    @discardableResult
    package func deleteCommittedOffsets(group: String, _ partitions: [TopicPartition]) throws(SluiceError) -> Int {
        var removed = 0
        try write {
            let delete = try connection.statement(
                "DELETE FROM group_offsets WHERE group_id = ? AND topic = ? AND partition = ?")
            for partition in partitions {
                delete.bind(1, group)
                delete.bind(2, partition.topic)
                delete.bind(3, Int64(partition.partition))
                try delete.run()
                delete.reset()
                removed += connection.changes
            }
        }
        return removed
    }

    // MARK: - Producer ids

    /// Reserves the next `count` producer ids: the counter row, the last id reserved, is raised by `count` and
    /// committed (fsync) before the ids are returned, so no id is ever handed out twice, across restarts and crashes
    /// (ids of a block not handed out before a restart are skipped, never reused).
    package func reserveProducerIDs(_ count: Int64) throws(SluiceError) -> ClosedRange<Int64> {
        precondition(count >= 1, "a block holds at least one producer id")
        var last: Int64 = -1
        try write {
            let update = try connection.statement(
                "UPDATE producer_ids SET last_producer_id = last_producer_id + ? RETURNING last_producer_id")
            defer { update.reset() }
            update.bind(1, count)
            guard try update.step() else { throw SluiceError(.storageError, "the producer id counter is missing") }
            last = update.int64(0)
        }
        return (last - count + 1)...last
    }

    /// Hands out one new producer id, durably (a block of one).
    package func nextProducerID() throws(SluiceError) -> Int64 {
        try reserveProducerIDs(1).lowerBound
    }

    /// The largest producer id reserved so far (handed out or skipped), -1 when none was.
    package func lastProducerID() throws(SluiceError) -> Int64 {
        do {
            return try connection.scalarInt("SELECT last_producer_id FROM producer_ids") ?? -1
        } catch {
            throw error.sluiceError
        }
    }

    func write(_ body: () throws -> Void) throws(SluiceError) {
        do {
            try connection.transaction(body)
        } catch {
            throw error.sluiceError
        }
    }
}

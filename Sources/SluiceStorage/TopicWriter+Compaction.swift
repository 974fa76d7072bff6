import SluiceCore

/// What one compaction pass did.
package struct CompactionResult: Sendable, Hashable {
    /// Offsets past the compaction cursor this pass looked at (holes included).
    package var examinedOffsets: Int64
    package var deletedRecords: Int
    package var deletedBytes: Int64
    /// Compaction has now examined every record below this offset.
    package var compactedOffset: Int64
    /// Records appended since remain to be examined: call again.
    package var hasMore: Bool
}

/// Log compaction without an index on keys: appends cost nothing extra. Compaction keeps its own map of every key
/// it has seen to the key's latest offset (`compaction_keys`, one row per distinct key), looks each new record's
/// key up there, deletes the record the key pointed at, and points the key at the new one.
extension TopicWriter {
    /// Examines up to `maxRecords` offsets appended since the last pass and deletes every record whose key has a
    /// later record (the latest one for each key stays), then moves the compaction cursor past them.
    ///
    /// Offsets do not change and the order of what remains is kept: compaction only leaves holes, which reads
    /// skip. Records without a key are never removed here. Only committed records are examined (the cursor never
    /// passes the next offset), and the log-start offset does not move. A pass deletes at most about
    /// 2 × `maxRecords` records, and examines nothing at or past `limit`. Commits like `truncate`, without an
    /// fsync of its own.
    @discardableResult
    package func compact(partition: Int32, maxRecords: Int, before limit: Int64 = .max) throws(SluiceError)
        -> CompactionResult
    {
        precondition(maxRecords > 0, "maxRecords must be positive")
        let cursor: PartitionCursor
        do { cursor = try self.cursor(partition) } catch { throw storageError(error) }
        let start = max(cursor.compactedOffset, cursor.logStartOffset)
        let horizon = min(cursor.nextOffset, limit)
        let end = min(horizon, start + Int64(maxRecords))
        guard end > start else {
            return CompactionResult(
                examinedOffsets: 0, deletedRecords: 0, deletedBytes: 0, compactedOffset: start,
                hasMore: false)
        }
        let table = Self.tableName(partition)
        return try maintenanceTransaction {
            // The chunk's keyed records, in offset order: the last one of each key wins within the chunk.
            let rows = try connection.statement(
                "SELECT offset, timestamp, key, value IS NULL, \(Self.recordSizeSQL) FROM \(table) "
                    + "WHERE offset >= ? AND offset < ? AND key IS NOT NULL ORDER BY offset")
            rows.bind(1, start)
            rows.bind(2, end)
            var latest: [[UInt8]: KeyEntry] = [:]
            var obsolete: [KeyEntry] = []
            while try rows.step() {
                guard let key = rows.blob(2) else { continue }
                let entry = KeyEntry(
                    offset: rows.int64(0), size: rows.int64(4),
                    tombstoneTimestamp: rows.int64(3) != 0 ? rows.int64(1) : nil)
                if let earlier = latest.updateValue(entry, forKey: key) { obsolete.append(earlier) }
            }
            rows.reset()

            // Each key's previous latest record (from an earlier pass) goes; the map points at the new one.
            let lookup = try connection.statement(
                "SELECT offset, size FROM compaction_keys WHERE partition = ? AND key = ?")
            let upsert = try connection.statement(
                """
                INSERT INTO compaction_keys (partition, key, offset, size, tombstone_timestamp) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (partition, key) DO UPDATE SET
                    offset = excluded.offset, size = excluded.size, tombstone_timestamp = excluded.tombstone_timestamp
                """)
            for (key, entry) in latest {
                lookup.bind(1, Int64(partition))
                lookup.bind(2, key)
                if try lookup.step(), lookup.int64(0) < entry.offset {
                    obsolete.append(KeyEntry(offset: lookup.int64(0), size: lookup.int64(1), tombstoneTimestamp: nil))
                }
                lookup.reset()
                upsert.bind(1, Int64(partition))
                upsert.bind(2, key)
                upsert.bind(3, entry.offset)
                upsert.bind(4, entry.size)
                upsert.bind(5, entry.tombstoneTimestamp)
                try upsert.run()
                upsert.reset()
            }
            let (count, bytes) = try deleteRecords(obsolete, partition: partition)

            var updated = cursor
            updated.compactedOffset = end
            updated.sizeBytes = max(0, cursor.sizeBytes - bytes)
            let state = try connection.statement(
                "UPDATE partition_state SET compacted_offset = ?, size_bytes = ? WHERE partition = ?")
            state.bind(1, updated.compactedOffset)
            state.bind(2, updated.sizeBytes)
            state.bind(3, Int64(partition))
            try state.run()
            partitions[partition] = updated
            return CompactionResult(
                examinedOffsets: end - start, deletedRecords: count, deletedBytes: bytes,
                compactedOffset: end, hasMore: end < horizon)
        }
    }

    /// Deletes up to `maxRecords` tombstones (records with a key and no value) whose timestamp is before `cutoff`
    /// and that are the latest record for their key, as far as compaction has examined; forgets their keys.
    ///
    /// Commits like `truncate`, without an fsync of its own.
    @discardableResult
    package func removeTombstones(partition: Int32, olderThan cutoff: Int64, maxRecords: Int) throws(SluiceError)
        -> DeletionResult
    {
        precondition(maxRecords > 0, "maxRecords must be positive")
        let cursor: PartitionCursor
        do { cursor = try self.cursor(partition) } catch { throw storageError(error) }
        return try maintenanceTransaction {
            let expired = try connection.statement(
                """
                SELECT key, offset, size FROM compaction_keys
                WHERE partition = ? AND tombstone_timestamp IS NOT NULL AND tombstone_timestamp < ?
                ORDER BY tombstone_timestamp LIMIT ?
                """)
            expired.bind(1, Int64(partition))
            expired.bind(2, cutoff)
            expired.bind(3, Int64(maxRecords))
            var found: [(key: [UInt8], entry: KeyEntry)] = []
            while try expired.step() {
                guard let key = expired.blob(0) else { continue }
                found.append((key, KeyEntry(offset: expired.int64(1), size: expired.int64(2), tombstoneTimestamp: nil)))
            }
            expired.reset()
            let forget = try connection.statement("DELETE FROM compaction_keys WHERE partition = ? AND key = ?")
            for entry in found {
                forget.bind(1, Int64(partition))
                forget.bind(2, entry.key)
                try forget.run()
                forget.reset()
            }
            let (count, bytes) = try deleteRecords(found.map(\.entry), partition: partition)
            if bytes > 0 {
                var updated = cursor
                updated.sizeBytes = max(0, cursor.sizeBytes - bytes)
                let state = try connection.statement("UPDATE partition_state SET size_bytes = ? WHERE partition = ?")
                state.bind(1, updated.sizeBytes)
                state.bind(2, Int64(partition))
                try state.run()
                partitions[partition] = updated
            }
            return DeletionResult(
                deletedRecords: count, deletedBytes: bytes, logStartOffset: cursor.logStartOffset,
                hasMore: found.count == maxRecords)
        }
    }

    /// The timestamp of the partition's oldest tombstone that compaction has seen; `nil` when there is none.
    package func oldestTombstone(partition: Int32) throws(SluiceError) -> Int64? {
        do {
            let oldest = try connection.statement(
                "SELECT min(tombstone_timestamp) FROM compaction_keys "
                    + "WHERE partition = ? AND tombstone_timestamp IS NOT NULL")
            defer { oldest.reset() }
            oldest.bind(1, Int64(partition))
            return try oldest.step() ? oldest.optionalInt64(0) : nil
        } catch {
            throw storageError(error)
        }
    }

    /// A record compaction knows by its key: where it is, its bytes, and its timestamp if it is a tombstone.
    struct KeyEntry {
        var offset: Int64
        var size: Int64
        var tombstoneTimestamp: Int64?
    }

    /// Deletes the records `entries` name (any already gone, say by retention, are skipped): how many went and
    /// their bytes.
    private func deleteRecords(_ entries: [KeyEntry], partition: Int32) throws -> (count: Int, bytes: Int64) {
        let delete = try connection.statement("DELETE FROM \(Self.tableName(partition)) WHERE offset = ?")
        var count = 0
        var bytes: Int64 = 0
        for entry in entries.sorted(by: { $0.offset < $1.offset }) {
            delete.bind(1, entry.offset)
            try delete.run()
            delete.reset()
            if connection.changes > 0 {
                count += 1
                bytes += entry.size
            }
        }
        return (count, bytes)
    }
}

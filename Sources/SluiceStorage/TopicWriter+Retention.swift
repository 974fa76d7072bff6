import SluiceCore

/// A partition as its writer knows it: committed state, kept in memory, so reading it costs no I/O.
package struct PartitionStatus: Sendable, Hashable {
    package var partition: Int32
    package var logStartOffset: Int64
    package var nextOffset: Int64
    /// Bytes of record data stored (key, value and encoded headers), as `partition_state.size_bytes` counts them.
    package var sizeBytes: Int64
    /// Compaction has examined every record below this offset.
    package var compactedOffset: Int64

    /// Offsets between the log start and the next offset (holes left by compaction included).
    package var offsetCount: Int64 { nextOffset - logStartOffset }

    /// Offsets appended since compaction last looked.
    package var compactionBacklog: Int64 { nextOffset - max(compactedOffset, logStartOffset) }
}

/// What one deletion call removed.
package struct DeletionResult: Sendable, Hashable {
    package var deletedRecords: Int
    package var deletedBytes: Int64
    /// The partition's log-start offset afterwards (only `truncate` moves it).
    package var logStartOffset: Int64
    /// More records qualify than this call was allowed to delete: call again.
    package var hasMore: Bool
}

extension TopicWriter {
    /// SQL for the bytes a stored record counts for, the way `append` adds them to `size_bytes`. `length` of a
    /// blob reads its size from the record header, not its content.
    static let recordSizeSQL = "ifnull(length(key), 0) + ifnull(length(value), 0) + ifnull(length(headers), 0)"

    /// The partition's committed state, from memory.
    package func status(partition: Int32) throws(SluiceError) -> PartitionStatus {
        do {
            let cursor = try cursor(partition)
            return PartitionStatus(
                partition: partition, logStartOffset: cursor.logStartOffset, nextOffset: cursor.nextOffset,
                sizeBytes: cursor.sizeBytes, compactedOffset: cursor.compactedOffset)
        } catch {
            throw storageError(error)
        }
    }

    /// The first record still stored, as `(offset, timestamp)`; `nil` when the partition holds none.
    package func firstRecord(partition: Int32) throws(SluiceError) -> (offset: Int64, timestamp: Int64)? {
        do {
            let cursor = try cursor(partition)
            let first = try connection.statement(
                "SELECT offset, timestamp FROM \(Self.tableName(partition)) WHERE offset >= ? ORDER BY offset LIMIT 1")
            defer { first.reset() }
            first.bind(1, cursor.logStartOffset)
            return try first.step() ? (first.int64(0), first.int64(1)) : nil
        } catch {
            throw storageError(error)
        }
    }

    // MARK: - Deleting

    /// Deletes the partition's records below `offset`, oldest first, at most `maxRecords` of them, and raises the
    /// log-start offset to the first record kept (to `offset` once none is left below it).
    ///
    /// One transaction: the records, the time-index (and compaction-map) entries below the new log start, the log
    /// start and the stored size change together. The cut never passes the next offset, so nothing uncommitted is touched and
    /// offsets keep growing afterwards. The transaction commits without an fsync of its own: it becomes durable
    /// with the next append or checkpoint, so a power cut can bring deleted records back but never lose kept ones.
    @discardableResult
    package func truncate(partition: Int32, before offset: Int64, maxRecords: Int) throws(SluiceError) -> DeletionResult
    {
        precondition(maxRecords > 0, "maxRecords must be positive")
        let cursor: PartitionCursor
        do { cursor = try self.cursor(partition) } catch { throw storageError(error) }
        let target = min(offset, cursor.nextOffset)
        guard target > cursor.logStartOffset else {
            return DeletionResult(
                deletedRecords: 0, deletedBytes: 0, logStartOffset: cursor.logStartOffset, hasMore: false)
        }
        let table = Self.tableName(partition)
        return try maintenanceTransaction {
            // Where this chunk stops: the record after the first `maxRecords`, when it lies below the target.
            let boundary = try connection.statement(
                "SELECT offset FROM \(table) WHERE offset >= ? AND offset < ? ORDER BY offset LIMIT 1 OFFSET ?")
            boundary.bind(1, cursor.logStartOffset)
            boundary.bind(2, target)
            boundary.bind(3, Int64(maxRecords))
            let hasMore = try boundary.step()
            let end = hasMore ? boundary.int64(0) : target
            boundary.reset()

            let delete = try connection.statement(
                "DELETE FROM \(table) WHERE offset >= ? AND offset < ? RETURNING \(Self.recordSizeSQL)")
            delete.bind(1, cursor.logStartOffset)
            delete.bind(2, end)
            let (count, bytes) = try sumDeleted(delete)

            // Time-index entries wholly below the new start, and compaction's map entries for deleted records.
            for sql in [
                "DELETE FROM time_index WHERE partition = ? AND end_offset < ?",
                "DELETE FROM compaction_keys WHERE partition = ? AND offset < ?",
            ] {
                let forget = try connection.statement(sql)
                forget.bind(1, Int64(partition))
                forget.bind(2, end)
                try forget.run()
            }

            var updated = cursor
            updated.logStartOffset = end
            updated.sizeBytes = max(0, cursor.sizeBytes - bytes)
            let state = try connection.statement(
                "UPDATE partition_state SET log_start_offset = ?, size_bytes = ? WHERE partition = ?")
            state.bind(1, updated.logStartOffset)
            state.bind(2, updated.sizeBytes)
            state.bind(3, Int64(partition))
            try state.run()
            partitions[partition] = updated
            return DeletionResult(deletedRecords: count, deletedBytes: bytes, logStartOffset: end, hasMore: hasMore)
        }
    }

    /// Steps a `DELETE … RETURNING <size>` to the end: how many rows it removed and their bytes.
    func sumDeleted(_ delete: Statement) throws -> (count: Int, bytes: Int64) {
        defer { delete.reset() }
        var count = 0
        var bytes: Int64 = 0
        while try delete.step() {
            count += 1
            bytes += delete.int64(0)
        }
        return (count, bytes)
    }

    /// Runs `body` in one transaction that commits without an fsync of its own (`synchronous=NORMAL` for its
    /// length): deletions only need to become durable eventually, and the next append's fsync (or a checkpoint)
    /// covers them, since the WAL is one file synced as a whole. Reloads cached cursors when it fails.
    func maintenanceTransaction<T>(_ body: () throws -> T) throws(SluiceError) -> T {
        let relax = durability == .full
        do {
            if relax { try connection.execute("PRAGMA synchronous = NORMAL") }
            let result = try connection.transaction(body)
            if relax { try connection.execute("PRAGMA synchronous = FULL") }
            return result
        } catch {
            if relax { try? connection.execute("PRAGMA synchronous = FULL") }
            partitions.removeAll()
            throw storageError(error)
        }
    }

    // MARK: - Planning

    /// Where age-based retention cuts: the first record whose timestamp is at or after `cutoff` (everything before
    /// it is older), or the next offset when every record is older.
    ///
    /// Records leave in offset order, so a record with a timestamp far in the future holds back the records after
    /// it until it expires itself. Uses the sparse time index to skip ahead: one indexed lookup, then a scan
    /// bounded by the index interval plus one batch.
    package func retentionCut(partition: Int32, olderThan cutoff: Int64) throws(SluiceError) -> Int64 {
        do {
            let cursor = try cursor(partition)
            let lower = try connection.statement(
                "SELECT end_offset FROM time_index WHERE partition = ? AND max_timestamp < ? "
                    + "ORDER BY max_timestamp DESC, end_offset DESC LIMIT 1")
            lower.bind(1, Int64(partition))
            lower.bind(2, cutoff)
            var start = cursor.logStartOffset
            if try lower.step() { start = max(start, lower.int64(0) + 1) }
            lower.reset()
            let scan = try connection.statement(
                "SELECT offset FROM \(Self.tableName(partition)) WHERE offset >= ? AND timestamp >= ? "
                    + "ORDER BY offset LIMIT 1")
            defer { scan.reset() }
            scan.bind(1, start)
            scan.bind(2, cutoff)
            return try scan.step() ? scan.int64(0) : cursor.nextOffset
        } catch {
            throw storageError(error)
        }
    }

    /// Where size-based retention cuts so that at most `limit` bytes of record data remain, walking record sizes
    /// from the log start; walks at most `scanLimit` records and then answers as far as it got (call again after
    /// truncating). The log-start offset when the partition is within its limit.
    package func retentionCut(partition: Int32, keepingBytes limit: Int64, scanLimit: Int) throws(SluiceError) -> Int64
    {
        precondition(scanLimit > 0, "scanLimit must be positive")
        do {
            let cursor = try cursor(partition)
            var excess = cursor.sizeBytes - limit
            var cut = cursor.logStartOffset
            guard excess > 0 else { return cut }
            let sizes = try connection.statement(
                "SELECT offset, \(Self.recordSizeSQL) FROM \(Self.tableName(partition)) WHERE offset >= ? "
                    + "ORDER BY offset LIMIT ?")
            defer { sizes.reset() }
            sizes.bind(1, cursor.logStartOffset)
            sizes.bind(2, Int64(scanLimit))
            while excess > 0, try sizes.step() {
                excess -= sizes.int64(1)
                cut = sizes.int64(0) + 1
            }
            return cut
        } catch {
            throw storageError(error)
        }
    }

    /// Where count-based retention cuts so that at most `limit` offsets remain: `next − limit`, or the log start.
    package func retentionCut(partition: Int32, keepingRecords limit: Int64) throws(SluiceError) -> Int64 {
        let status = try status(partition: partition)
        return max(status.logStartOffset, status.nextOffset - limit)
    }

    /// Where `config`'s delete policy cuts at time `now` (ms): the furthest of the age, size and count cuts (each
    /// policy demands everything below its cut go), never past the next offset. The log start when the policy
    /// does not include `delete` or nothing is due. The size walk is bounded by `scanLimit`, as above.
    package func retentionCut(partition: Int32, config: TopicConfig, now: Int64, scanLimit: Int) throws(SluiceError)
        -> Int64
    {
        let status = try status(partition: partition)
        guard config.cleanupPolicy.contains(.delete), status.offsetCount > 0 else { return status.logStartOffset }
        var cut = status.logStartOffset
        if let records = config.retentionRecords {
            cut = max(cut, status.nextOffset - records)
        }
        if let millis = config.retentionMs {
            let (cutoff, overflow) = now.subtractingReportingOverflow(millis)
            if !overflow, cut < status.nextOffset {
                cut = max(cut, try retentionCut(partition: partition, olderThan: cutoff))
            }
        }
        if let bytes = config.retentionBytes, cut < status.nextOffset {
            cut = max(cut, try retentionCut(partition: partition, keepingBytes: bytes, scanLimit: scanLimit))
        }
        return min(cut, status.nextOffset)
    }
}

import SluiceCore

/// A read-only view of one stored record, valid only inside the `TopicReader.read` callback that receives it.
package struct RecordView {
    package let offset: Int64
    package let timestamp: Int64
    package let key: UnsafeRawBufferPointer?
    package let value: UnsafeRawBufferPointer?
    let headersBlob: UnsafeRawBufferPointer?

    init(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headersBlob: UnsafeRawBufferPointer?
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headersBlob = headersBlob
    }

    package var headers: [Header] { HeaderCodec.decode(headersBlob) }

    /// Bytes of key, value and headers, as counted against fetch limits and retention.
    package var sizeInBytes: Int { (key?.count ?? 0) + (value?.count ?? 0) + (headersBlob?.count ?? 0) }

    /// A copy that outlives the callback.
    package func record() -> Record {
        Record(
            offset: offset, timestamp: timestamp, key: key.map { Array($0) }, value: value.map { Array($0) },
            headers: headers)
    }
}

/// What a read returned besides records: the partition's bounds at the moment of the read.
package struct ReadSummary: Sendable, Hashable {
    package var logStartOffset: Int64
    /// The next offset to be written: every offset below it is committed.
    package var highWatermark: Int64
    package var recordCount: Int
    package var bytes: Int
}

/// A reader of a topic database, on a connection of its own: it sees only committed records.
///
/// Owned by one thread at a time; WAL lets any number of readers run beside the writer.
package final class TopicReader {
    package let topic: String
    let connection: Connection

    package init(topic: String, path: String) throws(SluiceError) {
        self.topic = topic
        do {
            connection = try Connection(path: path, flags: [.readWrite])
            try connection.execute("PRAGMA query_only = 1")
        } catch {
            throw error.sluiceError
        }
    }

    /// Reads records from `offset` on, at most `maxRecords` and about `maxBytes` (always at least one record when
    /// one exists, so a consumer can make progress past a record larger than its limit).
    ///
    /// Throws `.offsetOutOfRange` for an offset below the log start or above the high watermark, and
    /// `.unknownPartition` for a partition the topic does not have.
    @discardableResult
    package func read(
        partition: Int32, from offset: Int64, maxRecords: Int = 1000, maxBytes: Int = 1 << 20,
        _ visit: (RecordView) throws -> Void
    ) throws(SluiceError) -> ReadSummary {
        do {
            try connection.begin()
            defer { try? connection.commit() }
            let bounds = try offsets(partition: partition)
            if offset < bounds.logStartOffset || offset > bounds.nextOffset {
                throw SluiceError(
                    .offsetOutOfRange,
                    "offset \(offset) is out of range for \(topic)[\(partition)]: "
                        + "it holds \(bounds.logStartOffset) to \(bounds.nextOffset)"
                )
            }
            var summary = ReadSummary(
                logStartOffset: bounds.logStartOffset, highWatermark: bounds.nextOffset,
                recordCount: 0, bytes: 0)
            guard offset < bounds.nextOffset, maxRecords > 0 else { return summary }
            let select = try connection.statement(
                "SELECT offset, timestamp, key, value, headers FROM \(TopicWriter.tableName(partition)) "
                    + "WHERE offset >= ? ORDER BY offset LIMIT ?"
            )
            defer { select.reset() }
            select.bind(1, offset)
            select.bind(2, Int64(maxRecords))
            while try select.step() {
                let view = RecordView(
                    offset: select.int64(0), timestamp: select.int64(1), key: select.blobBytes(2),
                    value: select.blobBytes(3), headersBlob: select.blobBytes(4)
                )
                let size = view.sizeInBytes
                if summary.recordCount > 0 && summary.bytes + size > maxBytes { break }
                try visit(view)
                summary.recordCount += 1
                summary.bytes += size
            }
            return summary
        } catch {
            throw error.sluiceError
        }
    }

    /// Reads records into values that outlive the call. See `read(partition:from:maxRecords:maxBytes:_:)`.
    package func read(partition: Int32, from offset: Int64, maxRecords: Int = 1000, maxBytes: Int = 1 << 20)
        throws(SluiceError) -> [Record]
    {
        var records: [Record] = []
        try read(partition: partition, from: offset, maxRecords: maxRecords, maxBytes: maxBytes) { view in
            records.append(view.record())
        }
        return records
    }

    /// The partition's log-start offset and next offset, as committed.
    package func offsets(partition: Int32) throws(SluiceError) -> PartitionOffsets {
        do {
            let state = try connection.statement(
                "SELECT log_start_offset, next_offset FROM partition_state WHERE partition = ?"
            )
            defer { state.reset() }
            state.bind(1, Int64(partition))
            guard try state.step() else {
                throw SluiceError(.unknownPartition, "topic '\(topic)' has no partition \(partition)")
            }
            return PartitionOffsets(partition: partition, logStartOffset: state.int64(0), nextOffset: state.int64(1))
        } catch {
            throw error.sluiceError
        }
    }

    /// Bytes of record data stored in the partition.
    package func sizeBytes(partition: Int32) throws(SluiceError) -> Int64 {
        do {
            let state = try connection.statement("SELECT size_bytes FROM partition_state WHERE partition = ?")
            defer { state.reset() }
            state.bind(1, Int64(partition))
            guard try state.step() else {
                throw SluiceError(.unknownPartition, "topic '\(topic)' has no partition \(partition)")
            }
            return state.int64(0)
        } catch {
            throw error.sluiceError
        }
    }

    /// The first record whose timestamp is at or after `timestamp` (ms), as `(offset, timestamp)`; `nil` if none.
    ///
    /// Uses the sparse time index: one indexed lookup, then a scan bounded by the index interval plus one batch.
    package func offset(partition: Int32, atOrAfter timestamp: Int64) throws(SluiceError) -> (
        offset: Int64, timestamp: Int64
    )? {
        do {
            try connection.begin()
            defer { try? connection.commit() }
            let bounds = try offsets(partition: partition)
            let lower = try connection.statement(
                "SELECT end_offset FROM time_index WHERE partition = ? AND max_timestamp < ? "
                    + "ORDER BY max_timestamp DESC, end_offset DESC LIMIT 1"
            )
            lower.bind(1, Int64(partition))
            lower.bind(2, timestamp)
            var start = bounds.logStartOffset
            if try lower.step() { start = max(start, lower.int64(0) + 1) }
            lower.reset()
            let scan = try connection.statement(
                "SELECT offset, timestamp FROM \(TopicWriter.tableName(partition)) "
                    + "WHERE offset >= ? AND timestamp >= ? ORDER BY offset LIMIT 1"
            )
            defer { scan.reset() }
            scan.bind(1, start)
            scan.bind(2, timestamp)
            guard try scan.step() else { return nil }
            return (scan.int64(0), scan.int64(1))
        } catch {
            throw error.sluiceError
        }
    }
}

import SluiceCore

/// One share group's state on one partition as stored in `share_state` (the runs are the broker's encoding).
package struct StoredShareState: Sendable, Hashable {
    package var startOffset: Int64
    package var endOffset: Int64
    package var runs: [UInt8]
    package var archived: Int64
    package var deadLettered: Int64
    package var dlqScanFrom: Int64

    package init(
        startOffset: Int64, endOffset: Int64, runs: [UInt8], archived: Int64, deadLettered: Int64, dlqScanFrom: Int64
    ) {
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.runs = runs
        self.archived = archived
        self.deadLettered = deadLettered
        self.dlqScanFrom = dlqScanFrom
    }
}

/// Share-group state, written by the topic's writer in its own transactions (see `append(_:now:then:)`), and the
/// record reads a share fetch makes inside them.
extension TopicWriter {
    /// The group's stored state on `partition`; `nil` when the group never read it.
    package func shareState(group: String, partition: Int32) throws(SluiceError) -> StoredShareState? {
        do {
            let select = try connection.statement(
                "SELECT start_offset, end_offset, runs, archived, dead_lettered, dlq_scan_from FROM share_state "
                    + "WHERE group_id = ? AND partition = ?")
            defer { select.reset() }
            select.bind(1, group)
            select.bind(2, Int64(partition))
            guard try select.step() else { return nil }
            return StoredShareState(
                startOffset: select.int64(0), endOffset: select.int64(1), runs: select.blob(2) ?? [],
                archived: select.int64(3), deadLettered: select.int64(4), dlqScanFrom: select.int64(5))
        } catch {
            throw storageError(error)
        }
    }

    /// Writes the group's state on `partition` (inside the caller's transaction).
    package func saveShareState(group: String, partition: Int32, _ state: StoredShareState) throws(SluiceError) {
        do {
            let upsert = try connection.statement(
                """
                INSERT INTO share_state (group_id, partition, start_offset, end_offset, runs, archived, dead_lettered,
                    dlq_scan_from)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (group_id, partition) DO UPDATE SET
                    start_offset = excluded.start_offset, end_offset = excluded.end_offset, runs = excluded.runs,
                    archived = excluded.archived, dead_lettered = excluded.dead_lettered,
                    dlq_scan_from = excluded.dlq_scan_from
                """)
            upsert.bind(1, group)
            upsert.bind(2, Int64(partition))
            upsert.bind(3, state.startOffset)
            upsert.bind(4, state.endOffset)
            upsert.bind(5, state.runs)
            upsert.bind(6, state.archived)
            upsert.bind(7, state.deadLettered)
            upsert.bind(8, state.dlqScanFrom)
            try upsert.run()
            upsert.reset()
        } catch {
            throw storageError(error)
        }
    }

    /// Forgets the group's state on every partition (inside the caller's transaction).
    package func deleteShareStates(group: String) throws(SluiceError) {
        do {
            let delete = try connection.statement("DELETE FROM share_state WHERE group_id = ?")
            delete.bind(1, group)
            try delete.run()
            delete.reset()
        } catch {
            throw storageError(error)
        }
    }

    /// Records of `partition` from `offset` on, at most `maxRecords` and about `maxBytes` (at least one), as the
    /// writer's transaction sees them (its own appends included).
    package func readRecords(partition: Int32, from offset: Int64, maxRecords: Int, maxBytes: Int)
        throws(SluiceError) -> [Record]
    {
        guard maxRecords > 0 else { return [] }
        do {
            let select = try connection.statement(
                "SELECT offset, timestamp, key, value, headers FROM \(Self.tableName(partition)) "
                    + "WHERE offset >= ? ORDER BY offset LIMIT ?")
            defer { select.reset() }
            select.bind(1, offset)
            select.bind(2, Int64(maxRecords))
            var records: [Record] = []
            var bytes = 0
            while try select.step() {
                let view = RecordView(
                    offset: select.int64(0), timestamp: select.int64(1), key: select.blobBytes(2),
                    value: select.blobBytes(3), headersBlob: select.blobBytes(4))
                let size = view.sizeInBytes
                if !records.isEmpty && bytes + size > maxBytes { break }
                records.append(view.record())
                bytes += size
            }
            return records
        } catch {
            throw storageError(error)
        }
    }

    /// The record at `offset`; `nil` when there is none (deleted, or a gap compaction left).
    package func readRecord(partition: Int32, offset: Int64) throws(SluiceError) -> Record? {
        do {
            let select = try connection.statement(
                "SELECT offset, timestamp, key, value, headers FROM \(Self.tableName(partition)) WHERE offset = ?")
            defer { select.reset() }
            select.bind(1, offset)
            guard try select.step() else { return nil }
            return RecordView(
                offset: select.int64(0), timestamp: select.int64(1), key: select.blobBytes(2),
                value: select.blobBytes(3), headersBlob: select.blobBytes(4)
            ).record()
        } catch {
            throw storageError(error)
        }
    }
}

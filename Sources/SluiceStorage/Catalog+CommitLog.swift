import SluiceCore

/// The commit log: every group's committed offsets as a log compacted to the latest commit per group, topic and
/// partition. Each commit takes the next number of a sequence kept in the catalog (`commit_log`), so log offsets
/// only grow and are never reused, across restarts; a commit that replaces an earlier one leaves a gap where the
/// earlier one was, as compaction does. It holds one entry per committed partition, so it is bounded by what is
/// committed, not by how often.
extension Catalog {
    /// The first log offset still held (the next one when the log is empty) and the next one to be given.
    package func commitLogBounds() throws(SluiceError) -> (start: Int64, next: Int64) {
        do {
            let select = try connection.statement(
                """
                SELECT (SELECT min(log_offset) FROM group_offsets),
                    (SELECT next_offset FROM commit_log WHERE singleton = 0)
                """)
            defer { select.reset() }
            guard try select.step() else { return (0, 0) }
            let next = select.int64(1)
            let start = select.text(0) == nil ? next : select.int64(0)
            return (start, next)
        } catch {
            throw error.sluiceError
        }
    }

    /// Entries at or after `from`, in log order, at most `limit`.
    package func commitLog(from: Int64, limit: Int) throws(SluiceError) -> [CommitLogEntry] {
        do {
            let select = try connection.statement(
                """
                SELECT log_offset, group_id, topic, partition, committed_offset, metadata, commit_ms
                FROM group_offsets WHERE log_offset >= ?1 ORDER BY log_offset LIMIT ?2
                """)
            defer { select.reset() }
            select.bind(1, from)
            select.bind(2, Int64(limit))
            var entries: [CommitLogEntry] = []
            while try select.step() {
                entries.append(
                    CommitLogEntry(
                        logOffset: select.int64(0), group: select.text(1) ?? "", topic: select.text(2) ?? "",
                        partition: Int32(truncatingIfNeeded: select.int64(3)), offset: select.int64(4),
                        metadata: select.text(5), commitMs: select.int64(6)))
            }
            return entries
        } catch {
            throw error.sluiceError
        }
    }
}

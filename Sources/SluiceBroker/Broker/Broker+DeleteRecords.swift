import Logging
import SluiceCore
import SluiceStorage

/// Deleting a partition's oldest records on request (Kafka's DeleteRecords, `sluice topics delete-records`) and a
/// group's committed offsets of some partitions (Kafka's OffsetDelete).
extension Broker {
    /// Records deleted per transaction: produces queued behind the deletion wait for at most one chunk's commit.
    static let deleteRecordsChunk = 50_000

    /// Raises each named partition's log start to `before` (-1: the high watermark), deleting the records below it
    /// as retention does; answers each partition's log start afterwards.
    ///
    /// Runs on the topic's writer queue, after every produce queued before it, in chunks of
    /// `deleteRecordsChunk` records per transaction. An offset past the high watermark is refused
    /// `.offsetOutOfRange`, an unknown partition `.unknownPartition`; an offset at or below the log start changes
    /// nothing. Then the topic is swept, which gives the freed pages back to the file system as retention's
    /// sweeps do.
    package func deleteRecords(_ topic: String, _ cuts: [(partition: Int32, before: Int64)]) async throws(SluiceError)
        -> [(partition: Int32, result: Result<Int64, SluiceError>)]
    {
        try checkRunning()
        let handle = try handle(topic)
        let chunk = Self.deleteRecordsChunk
        let answers = try await handle.withWriter { writer throws(SluiceError) in
            let watch = try handle.watch(from: writer)
            let count = handle.partitionCount
            return cuts.map { cut -> (partition: Int32, result: Result<Int64, SluiceError>) in
                do throws(SluiceError) {
                    guard cut.partition >= 0, cut.partition < count else {
                        throw SluiceError.unknownPartition(topic, cut.partition, count: count)
                    }
                    let status = try writer.status(partition: cut.partition)
                    let target = cut.before == -1 ? status.nextOffset : cut.before
                    guard target >= 0, target <= status.nextOffset else {
                        throw SluiceError(
                            .offsetOutOfRange,
                            "offset \(cut.before) is outside partition \(cut.partition) of topic '\(topic)' "
                                + "(\(status.logStartOffset) to \(status.nextOffset))")
                    }
                    var logStart = status.logStartOffset
                    while target > logStart {
                        let result = try writer.truncate(partition: cut.partition, before: target, maxRecords: chunk)
                        logStart = result.logStartOffset
                        watch.setLogStart(cut.partition, logStart)
                        if !result.hasMore { break }
                    }
                    return (cut.partition, .success(logStart))
                } catch {
                    return (cut.partition, .failure(error))
                }
            }
        }
        if answers.contains(where: { if case .success = $0.result { true } else { false } }) {
            logger.info(
                "records deleted", metadata: ["topic": "\(topic)", "partitions": "\(answers.map(\.partition))"])
            handle.retention.sweepNow()
        }
        return answers
    }

    /// Forgets a group's committed offsets of `partitions`; returns how many there were.
    @discardableResult
    package func deleteCommittedOffsets(group: String, _ partitions: [TopicPartition]) async throws(SluiceError) -> Int
    {
        try checkRunning()
        return try await admin { store throws(SluiceError) in
            try store.catalog.deleteCommittedOffsets(group: group, partitions)
        }
    }

    /// A topic's settings, from memory: opens nothing. Throws `.unknownTopic`.
    package func topicConfig(_ name: String) throws(SluiceError) -> TopicConfig {
        try handle(name).config
    }

    /// Each partition's bytes of record data, read from its database (on the read queue). Throws `.unknownTopic`.
    package func partitionSizes(_ name: String) async throws(SluiceError) -> [Int64] {
        let handle = try handle(name)
        return try await onReadQueue { () throws(SluiceError) in
            try handle.withReader { reader throws(SluiceError) in
                try (0..<handle.partitionCount).map { partition throws(SluiceError) in
                    try reader.sizeBytes(partition: partition)
                }
            }
        }
    }
}

import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// Offset lookups and consumer groups' committed offsets.
extension Broker {
    /// One `listOffsets` answer: the offset found (with its record's timestamp for a time lookup, else -1).
    package struct ListedOffset: Sendable {
        package var topic: String
        package var partition: Int32
        package var result: Result<(offset: Int64, timestamp: Int64), SluiceError>
    }

    package func listOffsets(_ queries: [(topic: String, partition: Int32, spec: OffsetSpec)]) async -> [ListedOffset] {
        let answers: [ListedOffset] = await onReadQueue {
            queries.map { query in
                let result: Result<(offset: Int64, timestamp: Int64), SluiceError>
                do throws(SluiceError) {
                    let handle = try self.handle(query.topic)
                    let watch = try handle.watch()
                    guard let bounds = watch.bounds(query.partition) else {
                        throw SluiceError.unknownPartition(query.topic, query.partition, count: watch.partitionCount)
                    }
                    switch query.spec {
                    case .earliest: result = .success((bounds.logStart, -1))
                    case .latest: result = .success((bounds.highWatermark, -1))
                    case .timestamp(let time):
                        let found = try handle.withReader { reader throws(SluiceError) in
                            try reader.offset(partition: query.partition, atOrAfter: time)
                        }
                        result = .success(found.map { ($0.offset, $0.timestamp) } ?? (bounds.highWatermark, -1))
                    }
                } catch {
                    result = .failure(error)
                }
                return ListedOffset(topic: query.topic, partition: query.partition, result: result)
            }
        }
        return answers
    }

    /// Stores a group's committed offsets (with their metadata strings). Offsets for unknown topics or partitions
    /// are refused one by one, and so are offsets the member may not commit. For a native group, a member must be
    /// in the group at its current generation and own the partition; a commit from outside (`memberID` empty,
    /// `generation` -1) is accepted only while the group is empty. For a Kafka classic group the coordinator holds,
    /// `ClassicGroup.checkCommit` decides (its refusals map to `.unknownMember`, `.staleGeneration` and
    /// `.rebalanceInProgress`; see `ClassicGroupError.sluiceError`). With `refusingPastLogEnd` (the native
    /// protocol) an offset past the partition's next offset is refused with `.offsetOutOfRange`; Kafka's
    /// OffsetCommit accepts any offset that is not negative.
    package func commitOffsets(
        group: String, memberID: String = "", generation: Int32 = -1,
        _ offsets: [CommittedOffset], refusingPastLogEnd: Bool = false
    ) async throws(SluiceError)
        -> [(CommittedOffset, SluiceError?)]
    {
        try checkRunning()
        if group.isEmpty { throw SluiceError(.invalidArgument, "group id is empty") }
        let permissions: [SluiceError?]
        if let classic = classicGroups.permission(groupID: group, generation: generation, memberID: memberID) {
            let refusal: SluiceError? =
                switch classic {
                case .success: nil
                case .failure(let error): error.sluiceError
                }
            permissions = offsets.map { _ in refusal }
        } else {
            permissions = groups.checkCommit(
                group: group, memberID: memberID, generation: generation,
                partitions: offsets.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
        }
        var checked: [(CommittedOffset, SluiceError?)] = []
        for (offset, permission) in zip(offsets, permissions) {
            do throws(SluiceError) {
                if let permission { throw permission }
                let handle = try handle(offset.topic)
                guard offset.partition >= 0, offset.partition < handle.partitionCount else {
                    throw SluiceError.unknownPartition(
                        offset.topic, offset.partition, count: handle.partitionCount)
                }
                if offset.offset < 0 { throw SluiceError(.invalidArgument, "offset \(offset.offset) is negative") }
                // The bounds are in memory once the topic was used; reading them the first time opens a reader.
                var watch: PartitionWatch? = nil
                if refusingPastLogEnd {
                    watch = handle.watchIfLoaded
                    if watch == nil {
                        watch = try await onReadQueue { () throws(SluiceError) -> PartitionWatch in try handle.watch() }
                    }
                }
                if let bounds = watch?.bounds(offset.partition), offset.offset > bounds.highWatermark {
                    throw SluiceError(
                        .offsetOutOfRange,
                        "offset \(offset.offset) is past the end of \(offset.topic)[\(offset.partition)], whose next "
                            + "offset is \(bounds.highWatermark)")
                }
                checked.append((offset, nil))
            } catch {
                checked.append((offset, error))
            }
        }
        let valid = checked.compactMap { $0.1 == nil ? $0.0 : nil }
        if !valid.isEmpty {
            try await admin { store throws(SluiceError) in
                try store.catalog.commitOffsets(group: group, valid, now: self.clocks.wall())
            }
        }
        return checked
    }

    /// A group's committed offsets, for the given topics (every topic when `nil`).
    package func committedOffsets(group: String, topics: [String]? = nil) async throws(SluiceError) -> [CommittedOffset]
    {
        try await admin { store throws(SluiceError) in
            let all = try store.catalog.committedOffsets(group: group)
            guard let topics else { return all }
            return all.filter { topics.contains($0.topic) }
        }
    }

    package func groups() async throws(SluiceError) -> [String] {
        try await admin { store throws(SluiceError) in try store.catalog.groups() }
    }

    @discardableResult
    package func deleteGroupOffsets(_ group: String) async throws(SluiceError) -> Int {
        try await admin { store throws(SluiceError) in try store.catalog.deleteGroup(group) }
    }
}

import SluiceCore
import SluiceStorage

/// A group as `describeGroup` reports it: membership plus, per partition, owner, committed offset and lag.
package struct GroupDescription: Sendable {
    package struct Partition: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        package var owner: String?
        /// -1 when the group has committed nothing for the partition.
        package var committedOffset: Int64
        package var endOffset: Int64
        /// Records between the committed offset (or the log start, when none) and the end.
        package var lag: Int64
    }

    package var group: String
    package var state: GroupMembers.State
    package var generation: Int32
    package var members: [GroupMembers.Member]
    package var partitions: [Partition]
}

/// How `resetOffsets` moves a group.
package enum OffsetReset: Sendable, Hashable {
    case earliest
    case latest
    case offset(Int64)
    case timestamp(Int64)
}

extension Broker {
    /// Joins (or rejoins, with its id) a member subscribed to `topics`; see `ConsumerGroup`.
    package func joinGroup(
        _ group: String, memberID: String, clientID: String, topics: [String],
        sessionTimeoutMs: Int32
    ) throws(SluiceError) -> GroupAssignment {
        if classicGroups.holds(group) {
            throw SluiceError(
                .invalidArgument,
                "group '\(group)' is a Kafka consumer group (classic protocol); use another group id")
        }
        if shareCoordinator.hasMembers(group) {
            throw SluiceError(.invalidArgument, "group '\(group)' is a share group; use another group id")
        }
        return try groups.join(
            group: group, memberID: memberID, clientID: clientID, topics: topics,
            sessionTimeoutMs: sessionTimeoutMs)
    }

    package func heartbeat(_ group: String, memberID: String, generation: Int32, owned: [TopicPartition])
        throws(SluiceError) -> GroupAssignment
    {
        try groups.heartbeat(group: group, memberID: memberID, generation: generation, owned: owned)
    }

    /// A heartbeat that, with `maxWaitMs > 0`, the coordinator may hold until the member has news (a long poll;
    /// see `GroupCoordinator`). Its partitions left out are released on arrival either way.
    package func heartbeat(
        _ group: String, memberID: String, generation: Int32, owned: [TopicPartition],
        maxWaitMs: Int32
    ) async throws(SluiceError) -> GroupAssignment {
        let result: Result<GroupAssignment, SluiceError> = await withCheckedContinuation { continuation in
            groups.heartbeat(
                group: group, memberID: memberID, generation: generation, owned: owned,
                maxWaitMs: maxWaitMs
            ) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    package func leaveGroup(_ group: String, memberID: String) {
        groups.leave(group: group, memberID: memberID)
    }

    /// Members, owners, committed offsets, end offsets and lag. Throws `.unknownGroup` for a group with neither
    /// members nor committed offsets.
    package func describeGroup(_ group: String) async throws(SluiceError) -> GroupDescription {
        let members = groups.describe(group) ?? classicGroups.members(group)
        let committed = try await committedOffsets(group: group)
        if members == nil && committed.isEmpty {
            throw SluiceError(.unknownGroup, "no group '\(group)': it has no members and no committed offsets")
        }
        var topics = Set(committed.map(\.topic))
        for member in members?.members ?? [] { topics.formUnion(member.topics) }
        var partitions: [GroupDescription.Partition] = []
        for entry in await metadata(topics.sorted()) {
            guard case .success(let details) = entry.result else { continue }
            for detail in details {
                let key = TopicPartition(topic: entry.name, partition: detail.partition)
                let offset = committed.first { $0.topic == entry.name && $0.partition == detail.partition }?.offset
                let from = max(offset ?? detail.logStartOffset, detail.logStartOffset)
                partitions.append(
                    .init(
                        topic: entry.name, partition: detail.partition, owner: members?.owners[key],
                        committedOffset: offset ?? -1, endOffset: detail.nextOffset,
                        lag: max(0, detail.nextOffset - from)))
            }
        }
        return GroupDescription(
            group: group, state: members?.state ?? .empty, generation: members?.generation ?? 0,
            members: members?.members ?? [], partitions: partitions)
    }

    /// Every group with members or committed offsets: name, state and member count.
    package func listGroups() async throws(SluiceError) -> [(group: String, state: GroupMembers.State, members: Int)] {
        let live = groups.liveGroups()
        let classic = Dictionary(classicGroups.liveGroups().map { ($0.groupID, $0) }) { first, _ in first }
        let stored = try await groups()
        let names = Set(stored).union(live.keys).union(classic.keys).sorted()
        return names.map { name in
            guard let entry = live[name] else {
                guard let kafka = classic[name] else { return (name, .empty, 0) }
                return (name, ClassicGroupCoordinator.state(kafka.state), kafka.members)
            }
            let state = groups.describe(name)?.state ?? .stable
            return (name, state, entry.members)
        }
    }

    /// Forgets a group's committed offsets. Refused with `.groupNotEmpty` while it has members.
    package func deleteGroup(_ group: String) async throws(SluiceError) {
        if hasMembers(group) {
            throw SluiceError(.groupNotEmpty, "group '\(group)' has live members; stop them first")
        }
        if try await deleteGroupOffsets(group) == 0 {
            throw SluiceError(.unknownGroup, "no group '\(group)'")
        }
    }

    /// Sets the group's committed offset on every partition of `topic`. Refused with `.groupNotEmpty` while the
    /// group has members.
    package func resetOffsets(group: String, topic: String, to reset: OffsetReset) async throws(SluiceError)
        -> [CommittedOffset]
    {
        if hasMembers(group) {
            throw SluiceError(.groupNotEmpty, "group '\(group)' has live members; stop them before resetting offsets")
        }
        let handle = try handle(topic)
        let watch = try await onReadQueue { () throws(SluiceError) in try handle.watch() }
        let count = watch.partitionCount
        var offsets: [CommittedOffset] = []
        switch reset {
        case .offset(let offset):
            for partition in 0..<count {
                let bounds = watch.bounds(partition) ?? (0, 0)
                offsets.append(
                    CommittedOffset(
                        topic: topic, partition: partition,
                        offset: min(max(offset, bounds.logStart), bounds.highWatermark)))
            }
        case .earliest, .latest, .timestamp:
            let spec: OffsetSpec =
                switch reset {
                case .earliest: .earliest
                case .latest: .latest
                case .timestamp(let time): .timestamp(time)
                case .offset: .latest
                }
            let answers = await listOffsets((0..<count).map { (topic, $0, spec) })
            for answer in answers {
                offsets.append(
                    CommittedOffset(
                        topic: topic, partition: answer.partition,
                        offset: try answer.result.get().offset))
            }
        }
        let results = try await commitOffsets(group: group, offsets)
        if let failure = results.first(where: { $0.1 != nil })?.1 { throw failure }
        return offsets
    }

    /// Whether the group has members of either kind.
    private func hasMembers(_ group: String) -> Bool {
        groups.hasMembers(group) || classicGroups.members(group) != nil
    }
}

import SluiceCore
import SluiceProtocol

/// Consumer-group administration and membership calls.
extension SluiceClient {
    /// Every group with live members, committed offsets, settings or share state, with its type (a server
    /// without listGroups version 1 lists every group as `.consumer`).
    public func listGroups() async throws(SluiceError) -> [GroupListing] {
        let response: Response
        do throws(SluiceError) {
            response = try await send(.listGroups(ListGroupsRequest(withTypes: true)))
        } catch  where error.code == .unsupportedVersion {
            response = try await send(.listGroups(ListGroupsRequest()))
        }
        guard case .listGroups(let response) = response else { throw Self.unexpected(.listGroups) }
        return response.groups.map(GroupListing.init)
    }

    /// A share group's members, per-partition share state and settings. Throws `.unknownGroup` when the id names
    /// no share group.
    public func describeShareGroup(_ group: String) async throws(SluiceError) -> ShareGroupDescription {
        let request = Request.describeShareGroup(DescribeShareGroupRequest(group: group))
        guard case .describeShareGroup(let response) = try await send(request) else {
            throw Self.unexpected(.describeShareGroup)
        }
        return ShareGroupDescription(
            group: response.group, state: GroupDescription.State(response.state),
            members: response.members.map {
                .init(
                    memberID: $0.memberID, clientID: $0.clientID, memberEpoch: $0.memberEpoch, topics: $0.topics,
                    acquiredRecords: $0.acquiredRecords)
            },
            partitions: response.topics.flatMap { topic in
                topic.partitions.map {
                    .init(
                        topic: topic.name, partition: $0.partition,
                        startOffset: $0.startOffset < 0 ? nil : $0.startOffset,
                        endOffset: $0.endOffset, inFlight: $0.inFlight, acquired: $0.acquired, available: $0.available,
                        delayed: $0.delayed, deadLettered: $0.deadLettered, archived: $0.archived)
                }
            },
            configs: response.configs)
    }

    /// Changes a group's settings (share groups': `share.record.lock.duration.ms`, `share.delivery.count.limit`,
    /// `share.auto.offset.reset`, `errors.deadletterqueue.topic.name`, `group.share.partition.max.record.locks`,
    /// `share.session.timeout.ms`, `share.heartbeat.interval.ms`); a `nil` value puts a key back to its default.
    /// Works before the group's first member joins. Throws `.invalidArgument` naming a key that is unknown or
    /// whose value is out of range (nothing is changed then).
    public func alterGroupConfig(_ group: String, _ configs: [ConfigEntry]) async throws(SluiceError) {
        _ = try await send(.alterGroupConfig(AlterGroupConfigRequest(group: group, configs: configs)))
    }

    /// A group's settings, every key with its value. Throws `.unknownGroup`.
    public func describeGroupConfig(_ group: String) async throws(SluiceError) -> [ConfigEntry] {
        guard
            case .describeGroupConfig(let response) = try await send(
                .describeGroupConfig(DescribeGroupConfigRequest(group: group)))
        else {
            throw Self.unexpected(.describeGroupConfig)
        }
        return response.configs
    }

    /// A group's members, owners, committed offsets and lag. Throws `.unknownGroup`.
    public func describeGroup(_ group: String) async throws(SluiceError) -> GroupDescription {
        guard case .describeGroup(let response) = try await send(.describeGroup(DescribeGroupRequest(group: group)))
        else {
            throw Self.unexpected(.describeGroup)
        }
        return GroupDescription(response)
    }

    /// Forgets a group's committed offsets. Throws `.groupNotEmpty` while it has members, `.unknownGroup`.
    public func deleteGroup(_ group: String) async throws(SluiceError) {
        _ = try await send(.deleteGroup(DeleteGroupRequest(group: group)))
    }

    /// Moves a group's committed offsets on every partition of `topic`; returns them. Throws `.groupNotEmpty`
    /// while the group has members.
    public func resetOffsets(group: String, topic: String, to target: OffsetResetTarget) async throws(SluiceError)
        -> [CommittedOffset]
    {
        let request = ResetOffsetsRequest(group: group, topic: topic, mode: target.wireMode)
        guard case .resetOffsets(let response) = try await send(.resetOffsets(request)) else {
            throw Self.unexpected(.resetOffsets)
        }
        return response.partitions.map { CommittedOffset(topic: topic, partition: $0.partition, offset: $0.offset) }
    }

    func joinGroup(_ request: JoinGroupRequest) async throws(SluiceError) -> MemberAssignment {
        guard case .joinGroup(let answer) = try await send(.joinGroup(request)) else {
            throw Self.unexpected(.joinGroup)
        }
        return answer
    }

    func heartbeat(_ request: HeartbeatRequest) async throws(SluiceError) -> MemberAssignment {
        guard case .heartbeat(let answer) = try await send(.heartbeat(request)) else {
            throw Self.unexpected(.heartbeat)
        }
        return answer
    }

    func leaveGroup(_ group: String, memberID: String) async throws(SluiceError) {
        _ = try await send(.leaveGroup(LeaveGroupRequest(group: group, memberID: memberID)))
    }
}

extension MemberAssignment {
    var grantedPartitions: [TopicPartition] {
        granted.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.name, partition: $0) } }
    }
}

extension SluiceClient {
    /// The server's metrics in the Prometheus text format. Throws `.notAuthorized` under a policy that does not
    /// grant `admin`.
    public func stats() async throws(SluiceError) -> String {
        guard case .stats(let response) = try await send(.stats(StatsRequest())) else {
            throw Self.unexpected(.stats)
        }
        return response.text
    }
}

import SluiceCore
import SluiceProtocol

/// Consumer-group administration and membership calls.
extension SluiceClient {
    /// Every group with live members or committed offsets.
    public func listGroups() async throws(SluiceError) -> [GroupListing] {
        guard case .listGroups(let response) = try await send(.listGroups(ListGroupsRequest())) else {
            throw Self.unexpected(.listGroups)
        }
        return response.groups.map(GroupListing.init)
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

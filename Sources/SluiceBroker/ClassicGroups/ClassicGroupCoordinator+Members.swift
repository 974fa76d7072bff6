import SluiceCore

extension ClassicGroupCoordinator {
    /// A classic group in the terms `describeGroup` and `listGroups` use for native groups: each member's
    /// subscribed topics and assigned partitions as the protocol adapter read them from the subscription and
    /// assignment bytes (the assigned topics when the subscription was not read; empty when neither was), and the
    /// host it connected from. `nil` when the group is not held or has no member.
    func members(_ groupID: String) -> GroupMembers? {
        guard let description = describe(groupID), !description.members.isEmpty else { return nil }
        var owners: [TopicPartition: String] = [:]
        let members = description.members.map { member in
            let assigned = member.assignedPartitions
            for partition in assigned { owners[partition] = member.memberID }
            let topics = member.subscribedTopics ?? assigned.map(\.topic)
            return GroupMembers.Member(
                memberID: member.memberID, clientID: member.clientID,
                topics: Array(Set(topics)).sorted(), owned: assigned.sorted(), pending: [],
                clientHost: member.clientHost)
        }
        return GroupMembers(
            group: groupID, state: Self.state(description.state), generation: description.generation,
            members: members, owners: owners)
    }

    /// Apache's state names as the native groups' states.
    static func state(_ name: String) -> GroupMembers.State {
        switch ClassicGroup.State(rawValue: name) {
        case .empty?: .empty
        case .stable?: .stable
        case .preparingRebalance?, .completingRebalance?: .rebalancing
        case .dead?, nil: .dead
        }
    }

    /// Commit permission for a group this coordinator holds; `nil` when it does not hold the group (the native
    /// checks apply then).
    func permission(groupID: String, generation: Int32, memberID: String) -> Result<Void, ClassicGroupError>? {
        guard holds(groupID) else { return nil }
        if let error = checkCommit(groupID: groupID, generation: generation, memberID: memberID) {
            return .failure(error)
        }
        return .success(())
    }
}

import SluiceCore

extension ClassicGroup {
    /// Handles a SyncGroup. The leader's carries every member's assignment: it moves the group to Stable and
    /// answers every held sync. A follower's waits for the leader's (held: no action names `waiter`). A member the
    /// leader left out, or gave no bytes, is answered success with no bytes: what an empty assignment looks like is
    /// the protocol adapter's to say (Kafka's must never be zero bytes).
    mutating func sync(
        memberID: String, generation: Int32, assignments: [ClassicAssignment], waiter: UInt64,
        now: Int64
    ) -> [ClassicGroupAction] {
        func answer(_ error: ClassicGroupError) -> [ClassicGroupAction] {
            [.sync(waiter: waiter, .failure(error))]
        }
        guard members[memberID] != nil else { return answer(.unknownMemberID) }
        guard generation == self.generation else { return answer(.illegalGeneration) }
        switch state {
        case .empty, .dead:
            return answer(.unknownMemberID)
        case .preparingRebalance:
            return answer(.rebalanceInProgress)
        case .stable:
            members[memberID]!.sessionDeadline = now + Int64(members[memberID]!.sessionTimeoutMs)
            return [.sync(waiter: waiter, success(for: memberID))]
        case .completingRebalance:
            var actions: [ClassicGroupAction] = []
            if let old = members[memberID]!.syncWaiter {
                actions.append(.sync(waiter: old, .failure(.rebalanceInProgress)))
            }
            members[memberID]!.syncWaiter = waiter
            members[memberID]!.sessionDeadline = now + Int64(members[memberID]!.sessionTimeoutMs)
            pendingSync.remove(memberID)
            guard memberID == leaderID else { return actions }
            var given: [String: ClassicAssignment] = [:]
            for entry in assignments { given[entry.memberID] = entry }
            for id in memberOrder {
                members[id]!.assignment = given[id]?.bytes ?? []
                members[id]!.assignedPartitions = given[id]?.partitions ?? []
            }
            state = .stable
            pendingSync = []
            syncDeadline = nil
            for id in memberOrder {
                guard let held = members[id]!.syncWaiter else { continue }
                members[id]!.syncWaiter = nil
                members[id]!.sessionDeadline = now + Int64(members[id]!.sessionTimeoutMs)
                actions.append(.sync(waiter: held, success(for: id)))
            }
            return actions
        }
    }

    private func success(for id: String) -> ClassicSyncResult {
        ClassicSyncResult(
            error: .none, protocolType: protocolType, protocolName: protocolName,
            assignment: members[id]?.assignment ?? [])
    }

    /// The group as Kafka's DescribeGroups reports it.
    var description: ClassicGroupDescription {
        ClassicGroupDescription(
            groupID: groupID, state: state.rawValue, generation: generation, protocolType: protocolType ?? "",
            protocolName: protocolName ?? "", leaderID: leaderID,
            members: memberOrder.compactMap { members[$0] }.map {
                let chosen = protocolName ?? $0.protocols.first?.name
                return .init(
                    memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, clientID: $0.clientID,
                    clientHost: $0.clientHost, metadata: $0.metadata(for: chosen), assignment: $0.assignment,
                    subscribedTopics: $0.subscribedTopics(for: chosen),
                    assignedPartitions: $0.assignedPartitions)
            })
    }
}

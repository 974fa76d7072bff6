import Logging
import SluiceBroker
import SluiceCore
import SluiceKafka

/// Kafka's consumer protocol (KIP-848): ConsumerGroupHeartbeat and ConsumerGroupDescribe on the native group
/// coordinator, which assigns partitions server-side for native and consumer-protocol members alike. Topics are
/// named by id on this protocol; ids a member names that no topic has are left out.
extension KafkaDispatcher {
    /// The server-side assignors a member may ask for: Sluice assigns with its own sticky, balanced assignment
    /// whichever it names (Kafka's "uniform" is the same idea; "range" is taken as a preference it does not keep).
    static let consumerAssignors: Set<String> = ["uniform", "range"]

    /// `consume` on the group was checked (`refusal`).
    func consumerGroupHeartbeat(
        _ request: KafkaConsumerGroupHeartbeatRequest, version: Int16, clientID: String, peer: Peer,
        access: KafkaRequestAccess
    ) -> KafkaConsumerGroupHeartbeatResponse {
        if let regex = request.subscribedTopicRegex, !regex.isEmpty {
            return KafkaConsumerGroupHeartbeatResponse(
                errorCode: .invalidRegularExpression,
                errorMessage: "topic regex subscriptions are not supported; subscribe to topic names")
        }
        if version >= 1, request.memberEpoch == 0, request.memberId.isEmpty {
            return KafkaConsumerGroupHeartbeatResponse(
                errorCode: .invalidRequest, errorMessage: "a joining member names itself from version 1 (KIP-1082)")
        }
        if let assignor = request.serverAssignor, !Self.consumerAssignors.contains(assignor) {
            return KafkaConsumerGroupHeartbeatResponse(
                errorCode: .unsupportedAssignor,
                errorMessage: "assignor '\(assignor)' is not supported; Sluice assigns partitions itself (uniform)")
        }
        let owned = request.topicPartitions.map { entries in
            entries.flatMap { entry -> [TopicPartition] in
                guard let name = broker.topicName(id: Self.topicID(entry.topicId)) else { return [] }
                return entry.partitions.map { TopicPartition(topic: name, partition: $0) }
            }
        }
        let beat = ConsumerHeartbeat(
            memberID: request.memberId, memberEpoch: request.memberEpoch, clientID: clientID, clientHost: peer.host,
            instanceID: request.instanceId, topics: request.subscribedTopicNames, owned: owned,
            namesItself: version >= 1)
        switch broker.consumerGroupHeartbeat(request.groupId, beat) {
        case .failure(let refusal):
            let code: KafkaErrorCode =
                switch refusal {
                case .unknownMember: .unknownMemberId
                case .fencedMemberEpoch: .fencedMemberEpoch
                case .invalidRequest: .invalidRequest
                case .notConsumerGroup: .groupIdNotFound
                }
            logger.debug(
                "kafka consumer heartbeat refused",
                metadata: ["group": "\(request.groupId)", "member": "\(request.memberId)", "error": "\(refusal)"])
            return KafkaConsumerGroupHeartbeatResponse(errorCode: code, errorMessage: refusal.message)
        case .success(let answer):
            return KafkaConsumerGroupHeartbeatResponse(
                memberId: answer.memberID, memberEpoch: answer.memberEpoch,
                heartbeatIntervalMs: answer.heartbeatIntervalMs,
                assignment: answer.assignment.map { topicIDPartitions($0) })
        }
    }

    /// Each group the peer may describe; a group the native coordinator does not hold is described from its
    /// committed offsets (Empty), or answered GROUP_ID_NOT_FOUND.
    func consumerGroupDescribe(_ request: KafkaConsumerGroupDescribeRequest, access: KafkaRequestAccess) async
        -> KafkaConsumerGroupDescribeResponse
    {
        var groups: [KafkaConsumerGroupDescribeResponse.Group] = []
        for group in request.groupIds {
            if !access.permits(.describe(group: group)) {
                groups.append(
                    .init(
                        errorCode: .groupAuthorizationFailed, errorMessage: "not authorized for group '\(group)'",
                        groupId: group))
                continue
            }
            guard let members = broker.groupMembers(group) else {
                let committed = (try? await broker.committedOffsets(group: group)) ?? []
                if committed.isEmpty || broker.classicGroups.holds(group) {
                    groups.append(
                        .init(
                            errorCode: .groupIdNotFound,
                            errorMessage: "group '\(group)' is not a consumer group", groupId: group))
                } else {
                    groups.append(.init(groupId: group, groupState: "Empty", assignorName: "uniform"))
                }
                continue
            }
            let ids = broker.topicIDs(
                named: Set(members.members.flatMap { $0.owned.map(\.topic) + $0.pending.map(\.topic) }))
            func described(_ partitions: [TopicPartition]) -> [KafkaConsumerGroupDescribeResponse.TopicPartitions] {
                Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }.map { topic, entries in
                    .init(
                        topicId: Self.wireUUID(ids[topic] ?? .zero), topicName: topic,
                        partitions: entries.map(\.partition).sorted())
                }
            }
            let state =
                switch members.state {
                case .stable: "Stable"
                case .rebalancing: "Reconciling"
                case .empty: "Empty"
                case .dead: "Dead"
                }
            groups.append(
                .init(
                    groupId: group, groupState: state,
                    groupEpoch: members.generation, assignmentEpoch: members.generation, assignorName: "uniform",
                    members: members.members.map { member in
                        .init(
                            memberId: member.memberID, memberEpoch: member.memberEpoch ?? members.generation,
                            clientId: member.clientID, clientHost: member.clientHost ?? "",
                            subscribedTopicNames: member.topics, assignment: described(member.owned),
                            targetAssignment: described(Array(Set(member.owned).union(member.pending))))
                    },
                    authorizedOperations: request.includeAuthorizedOperations ? 0 : .min))
        }
        return KafkaConsumerGroupDescribeResponse(groups: groups)
    }

    /// Partitions by topic id, topics in name order; a topic without an id (deleted meanwhile) is left out.
    private func topicIDPartitions(_ partitions: [TopicPartition]) -> [KafkaTopicIDPartitions] {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let ids = broker.topicIDs(named: byTopic.keys)
        return byTopic.sorted { $0.key < $1.key }.compactMap { topic, entries in
            guard let id = ids[topic] else { return nil }
            return KafkaTopicIDPartitions(topicId: Self.wireUUID(id), partitions: entries.map(\.partition).sorted())
        }
    }

    static func topicID(_ uuid: KafkaTopicUUID) -> TopicID {
        TopicID(high: UInt64(truncatingIfNeeded: uuid >> 64), low: UInt64(truncatingIfNeeded: uuid))
    }

    static func wireUUID(_ id: TopicID) -> KafkaTopicUUID {
        KafkaTopicUUID(id.high) << 64 | KafkaTopicUUID(id.low)
    }
}

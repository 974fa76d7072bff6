import SluiceBroker
import SluiceCore
import SluiceKafka

extension KafkaErrorCode {
    static let nonEmptyGroup = KafkaErrorCode(68)
    static let groupSubscribedToTopic = KafkaErrorCode(86)
}

/// ListGroups, DescribeGroups, DeleteGroups and OffsetDelete: the group administration Kafka's admin clients and
/// tools (`kafka-consumer-groups.sh`, lag checkers) call, over both kinds of group the broker holds.
///
/// Kafka classic groups (JoinGroup and friends) are described as Apache Kafka describes them: type "classic",
/// their protocol type, Kafka's state names, each member's metadata and assignment bytes. Native groups, whose
/// assignment the broker computes as KIP-848's consumer groups have it, are type "consumer" with protocol type
/// "consumer", state Empty, Reconciling (while a partition moves) or Stable, and their members' subscriptions and
/// assignments written in the consumer protocol's encoding, so tools show their partitions. A group known only by
/// its committed offsets is a classic group in state Empty with no protocol type, as Kafka shows a group whose
/// offsets were committed from outside it.
extension KafkaDispatcher {
    /// One group as ListGroups and DescribeGroups see it.
    struct KafkaGroupSummary {
        var groupID: String
        var protocolType: String
        var state: String
        var type: String
    }

    /// Every group, in name order.
    func groupSummaries() async throws(SluiceError) -> [KafkaGroupSummary] {
        let classic = Dictionary(
            broker.classicGroups.liveGroups().map { ($0.groupID, $0) }, uniquingKeysWith: { first, _ in first })
        let listed = try await broker.listGroups().map { entry in
            if let kafka = classic[entry.group] {
                return KafkaGroupSummary(
                    groupID: entry.group, protocolType: kafka.protocolType, state: kafka.state, type: "classic")
            }
            if entry.members == 0 {
                return KafkaGroupSummary(groupID: entry.group, protocolType: "", state: "Empty", type: "classic")
            }
            return KafkaGroupSummary(
                groupID: entry.group, protocolType: "consumer", state: Self.kafkaState(entry.state),
                type: "consumer")
        }
        return try await withShareGroups(listed)
    }

    /// A native group's state in KIP-848's names.
    static func kafkaState(_ state: GroupMembers.State) -> String {
        switch state {
        case .empty: "Empty"
        case .stable: "Stable"
        case .rebalancing: "Reconciling"
        case .dead: "Dead"
        }
    }

    /// Lists the groups the peer may describe (Kafka's DESCRIBE on the group), filtered by state and type as asked
    /// (case-insensitively; an empty filter keeps everything).
    func listGroups(_ request: KafkaListGroupsRequest, access: KafkaRequestAccess) async -> KafkaListGroupsResponse {
        let summaries: [KafkaGroupSummary]
        do throws(SluiceError) {
            summaries = try await groupSummaries()
        } catch {
            return KafkaListGroupsResponse(errorCode: KafkaErrorCode(error), groups: [])
        }
        let states = Set(request.statesFilter.map { $0.lowercased() })
        let types = Set(request.typesFilter.map { $0.lowercased() })
        let groups =
            summaries
            .filter { access.mayDescribe(group: $0.groupID) }
            .filter { states.isEmpty || states.contains($0.state.lowercased()) }
            .filter { types.isEmpty || types.contains($0.type.lowercased()) }
            .map {
                KafkaListGroupsResponse.Group(
                    groupId: $0.groupID, protocolType: $0.protocolType, groupState: $0.state, groupType: $0.type)
            }
        return KafkaListGroupsResponse(groups: groups)
    }

    /// Each group needs any grant on it (GROUP_AUTHORIZATION_FAILED in its entry). A group that does not exist is
    /// answered state "Dead" and no error, as Kafka answers it.
    func describeGroups(_ request: KafkaDescribeGroupsRequest, access: KafkaRequestAccess) async
        -> KafkaDescribeGroupsResponse
    {
        var groups: [KafkaDescribeGroupsResponse.Group] = []
        for groupID in request.groups {
            guard access.permits(.describe(group: groupID)) else {
                groups.append(
                    .init(
                        errorCode: .groupAuthorizationFailed, groupId: groupID, groupState: "", protocolType: "",
                        protocolData: "", members: []))
                continue
            }
            groups.append(await describeGroup(groupID))
        }
        return KafkaDescribeGroupsResponse(groups: groups)
    }

    private func describeGroup(_ groupID: String) async -> KafkaDescribeGroupsResponse.Group {
        if let classic = broker.classicGroups.describe(groupID) {
            return .init(
                groupId: groupID, groupState: classic.state, protocolType: classic.protocolType,
                protocolData: classic.protocolName,
                members: classic.members.map {
                    .init(
                        memberId: $0.memberID, groupInstanceId: $0.groupInstanceID, clientId: $0.clientID,
                        clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                })
        }
        let description: GroupDescription
        do throws(SluiceError) {
            description = try await broker.describeGroup(groupID)
        } catch {
            let code: KafkaErrorCode = error.code == .unknownGroup ? .none : KafkaErrorCode(error)
            return .init(
                errorCode: code, groupId: groupID, groupState: "Dead", protocolType: "", protocolData: "",
                members: [])
        }
        guard !description.members.isEmpty else {
            return .init(groupId: groupID, groupState: "Empty", protocolType: "", protocolData: "", members: [])
        }
        return .init(
            groupId: groupID, groupState: Self.kafkaState(description.state), protocolType: "consumer",
            protocolData: "sluice",
            members: description.members.map { member in
                .init(
                    memberId: member.memberID, clientId: member.clientID, clientHost: member.clientHost ?? "",
                    memberMetadata: KafkaConsumerProtocol.subscription(topics: member.topics),
                    memberAssignment: KafkaConsumerProtocol.assignment(member.owned.map { ($0.topic, $0.partition) }))
            })
    }

    /// Each group needs `admin` on it (GROUP_AUTHORIZATION_FAILED in its entry). A group with members is refused
    /// NON_EMPTY_GROUP, one with neither members nor offsets GROUP_ID_NOT_FOUND.
    func deleteGroups(_ request: KafkaDeleteGroupsRequest, access: KafkaRequestAccess) async
        -> KafkaDeleteGroupsResponse
    {
        var results: [KafkaDeleteGroupsResponse.Result] = []
        var repeated = RepeatedEntries<String>()
        for groupID in request.groupsNames where repeated.isFirst(groupID) {
            guard access.permits(.group(.admin, groupID)) else {
                results.append(.init(groupId: groupID, errorCode: .groupAuthorizationFailed))
                continue
            }
            do throws(SluiceError) {
                try await broker.deleteGroup(groupID)
                results.append(.init(groupId: groupID))
            } catch {
                let code: KafkaErrorCode =
                    switch error.code {
                    case .groupNotEmpty: .nonEmptyGroup
                    case .unknownGroup: .groupIdNotFound
                    default: KafkaErrorCode(error)
                    }
                results.append(.init(groupId: groupID, errorCode: code))
            }
        }
        return KafkaDeleteGroupsResponse(results: results)
    }

    /// `admin` on the group was checked (`refusal`); a topic the peer may not consume is answered
    /// TOPIC_AUTHORIZATION_FAILED in its partitions. A partition of a topic some live member subscribes to is
    /// refused GROUP_SUBSCRIBED_TO_TOPIC and kept; the others are forgotten. A group with neither members nor
    /// offsets is GROUP_ID_NOT_FOUND.
    func offsetDelete(_ request: KafkaOffsetDeleteRequest, access: KafkaRequestAccess) async
        -> KafkaOffsetDeleteResponse
    {
        let subscribed: Set<String>
        if let classic = broker.classicGroups.describe(request.groupId) {
            subscribed = Set(classic.members.flatMap { $0.subscribedTopics ?? $0.assignedPartitions.map(\.topic) })
        } else {
            do throws(SluiceError) {
                subscribed = Set(try await broker.describeGroup(request.groupId).members.flatMap(\.topics))
            } catch {
                return KafkaOffsetDeleteResponse(errorCode: KafkaErrorCode.forGroup(error), topics: [])
            }
        }
        var topics: [KafkaTopic<KafkaOffsetDeleteResponse.Partition>] = []
        var forget: [TopicPartition] = []
        var repeated = RepeatedEntries<TopicPartition>()
        for topic in request.topics {
            let permitted = access.permits(.consume, topic: topic.name)
            for partition in topic.partitions {
                let code: KafkaErrorCode
                if !permitted {
                    code = .topicAuthorizationFailed
                } else if !repeated.isFirst(TopicPartition(topic: topic.name, partition: partition)) {
                    code = .invalidRequest
                } else if subscribed.contains(topic.name) {
                    code = .groupSubscribedToTopic
                } else {
                    code = .none
                    forget.append(TopicPartition(topic: topic.name, partition: partition))
                }
                topics.append(.init(partitionIndex: partition, errorCode: code), topic: topic.name)
            }
        }
        if !forget.isEmpty {
            do throws(SluiceError) {
                try await broker.deleteCommittedOffsets(group: request.groupId, forget)
            } catch {
                return KafkaOffsetDeleteResponse(errorCode: KafkaErrorCode(error), topics: [])
            }
        }
        return KafkaOffsetDeleteResponse(topics: topics)
    }
}

extension KafkaErrorCode {
    /// A group lookup's error: an unknown group is GROUP_ID_NOT_FOUND.
    static func forGroup(_ error: SluiceError) -> KafkaErrorCode {
        error.code == .unknownGroup ? .groupIdNotFound : KafkaErrorCode(error)
    }
}

extension KafkaRequestAccess {
    /// Whether the peer may see that `group` exists, without logging: for answers about every group.
    func mayDescribe(group: String) -> Bool {
        policy?.mayDescribe(peer, group: group) ?? true
    }
}

import Logging
import NIOCore
import SluiceBroker
import SluiceCore
import SluiceKafka

/// Kafka share groups (KIP-932) onto the broker's share groups: a Kafka share group and a native one of the same
/// id are the same group. Topics are named by id on the wire (`Broker.topicName(id:)`, from memory); the member's
/// share session (`KafkaShareSessions`) says which partitions a ShareFetch reads.
extension KafkaDispatcher {
    // MARK: - ShareGroupHeartbeat

    func shareGroupHeartbeat(_ request: KafkaShareGroupHeartbeatRequest, clientID: String) async
        -> KafkaShareGroupHeartbeatResponse
    {
        // -1 leaves; -2 (a static member leaving for a while) has no meaning without static membership: it leaves.
        let leaving = request.memberEpoch < 0
        do {
            let answer = try await broker.shareGroupHeartbeat(
                group: request.groupId, memberID: request.memberId, memberEpoch: request.memberEpoch,
                clientID: clientID, topics: request.subscribedTopicNames, leaving: leaving)
            if leaving {
                return KafkaShareGroupHeartbeatResponse(
                    memberId: request.memberId, memberEpoch: request.memberEpoch,
                    heartbeatIntervalMs: answer.heartbeatIntervalMs)
            }
            return KafkaShareGroupHeartbeatResponse(
                memberId: answer.memberID, memberEpoch: answer.memberEpoch,
                heartbeatIntervalMs: answer.heartbeatIntervalMs,
                assignment: Self.byTopicID(
                    answer.assignment, ids: broker.topicIDs(named: answer.assignment.map(\.topic))))
        } catch {
            logger.debug(
                "kafka share-group heartbeat refused",
                metadata: ["group": "\(request.groupId)", "member": "\(request.memberId)", "error": "\(error)"])
            return KafkaShareGroupHeartbeatResponse(
                errorCode: Self.shareGroupError(error), errorMessage: error.message, memberEpoch: request.memberEpoch)
        }
    }

    /// An assignment's partitions grouped by topic id, in the order given; topics without an id (deleted meanwhile)
    /// are left out.
    static func byTopicID(_ partitions: [TopicPartition], ids: [String: TopicID]) -> [KafkaTopicByID<Int32>] {
        var topics: [KafkaTopicByID<Int32>] = []
        for partition in partitions {
            guard let id = ids[partition.topic] else { continue }
            topics.append(partition.partition, topicId: id)
        }
        return topics
    }

    /// The Kafka error for a share-group request refused as a whole.
    static func shareGroupError(_ error: SluiceError) -> KafkaErrorCode {
        switch error.code {
        case .unknownMember: .unknownMemberId
        case .staleGeneration: .fencedMemberEpoch
        case .unknownGroup: .groupIdNotFound
        case .invalidArgument, .malformedRequest: .invalidRequest
        case .notAuthorized: .groupAuthorizationFailed
        default: KafkaErrorCode(error)
        }
    }

    // MARK: - ShareGroupDescribe

    func shareGroupDescribe(_ request: KafkaShareGroupDescribeRequest, access: KafkaRequestAccess) async
        -> KafkaShareGroupDescribeResponse
    {
        var groups: [KafkaShareGroupDescribeResponse.Group] = []
        for group in request.groupIds {
            guard access.permits(.describe(group: group)) else {
                groups.append(
                    .init(
                        errorCode: .groupAuthorizationFailed, errorMessage: "not authorized for group '\(group)'",
                        groupId: group, groupState: "Dead"))
                continue
            }
            groups.append(await describeShareGroup(group))
        }
        return KafkaShareGroupDescribeResponse(groups: groups)
    }

    private func describeShareGroup(_ group: String) async -> KafkaShareGroupDescribeResponse.Group {
        do {
            guard try await broker.isShareGroup(group) else {
                return .init(
                    errorCode: .groupIdNotFound, errorMessage: "no share group '\(group)'", groupId: group,
                    groupState: "Dead")
            }
            let description = try await broker.describeShareGroup(group)
            let ids = broker.topicIDs(named: description.partitions.map(\.topic))
            var partitionsByTopic: [String: [Int32]] = [:]
            for partition in description.partitions {
                partitionsByTopic[partition.topic, default: []].append(partition.partition)
            }
            let epoch = description.members.map(\.memberEpoch).max() ?? 0
            return .init(
                groupId: group, groupState: description.members.isEmpty ? "Empty" : "Stable", groupEpoch: epoch,
                assignmentEpoch: epoch,
                members: description.members.map { member in
                    .init(
                        memberId: member.memberID, memberEpoch: member.memberEpoch, clientId: member.clientID,
                        clientHost: "", subscribedTopicNames: member.topics,
                        assignment: member.topics.compactMap { topic in
                            guard let id = ids[topic], let partitions = partitionsByTopic[topic] else { return nil }
                            return .init(topicId: id, topicName: topic, partitions: partitions)
                        })
                })
        } catch {
            return .init(
                errorCode: KafkaErrorCode(error), errorMessage: error.message, groupId: group, groupState: "Dead")
        }
    }

    // MARK: - ListGroups

    /// `groups` with the share groups added (type and protocol type "share", Kafka's states Empty and Stable), in
    /// name order: a Kafka share group and a native one are the same, so both are listed alike.
    func withShareGroups(_ groups: [KafkaGroupSummary]) async throws(SluiceError) -> [KafkaGroupSummary] {
        let shares = try await broker.listGroupsWithType().filter { $0.type == .share }
        let names = Set(shares.map(\.group))
        let summaries = shares.map { listing in
            KafkaGroupSummary(
                groupID: listing.group, protocolType: "share", state: listing.members > 0 ? "Stable" : "Empty",
                type: "share")
        }
        return (groups.filter { !names.contains($0.groupID) } + summaries).sorted { $0.groupID < $1.groupID }
    }
}

import Logging
import SluiceBroker
import SluiceCore
import SluiceKafka

/// Kafka's classic consumer groups (`ClassicGroupCoordinator`) and committed offsets, which they share with
/// Sluice's native groups.
extension KafkaDispatcher {
    func joinGroup(_ request: KafkaJoinGroupRequest, version: Int16, clientID: String, peer: Peer) async
        -> KafkaJoinGroupResponse
    {
        // Checked before the group sees it: a member keeps its metadata for as long as it stays.
        let metadataBytes = KafkaRequestLimits.metadataBytes(request)
        guard metadataBytes <= limits.maxMemberMetadataBytes else {
            logger.debug(
                "kafka join refused: protocol metadata too large",
                metadata: ["group": "\(request.groupId)", "bytes": "\(metadataBytes)"])
            return KafkaJoinGroupResponse(
                errorCode: .invalidRequest, generationId: -1, protocolName: nil, leader: "",
                memberId: request.memberId, members: [])
        }
        let join = ClassicJoin(
            groupID: request.groupId, memberID: request.memberId, groupInstanceID: request.groupInstanceId,
            clientID: clientID, clientHost: peer.host, sessionTimeoutMs: request.sessionTimeoutMs,
            // v0 has no rebalance timeout: the session timeout stands in, as in Kafka.
            rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map { offered in
                ClassicProtocol(
                    name: offered.name, metadata: offered.metadata,
                    subscribedTopics: Self.subscribedTopics(offered.metadata, type: request.protocolType))
            },
            requireKnownMemberID: version >= 4, connection: peer.connection)
        let result = await broker.classicGroups.join(join)
        return KafkaJoinGroupResponse(
            errorCode: KafkaErrorCode(result.error), generationId: result.generation,
            protocolType: result.protocolType, protocolName: result.protocolName, leader: result.leaderID,
            memberId: result.memberID,
            members: result.members.map {
                .init(memberId: $0.memberID, groupInstanceId: $0.groupInstanceID, metadata: $0.metadata)
            })
    }

    /// A connection that sent a JoinGroup closed: the members it joined drop their protocol metadata and stay
    /// members until they leave or their session expires (`ClassicGroupCoordinator.connectionClosed`).
    func connectionClosed(_ peer: Peer) {
        broker.classicGroups.connectionClosed(peer.connection)
    }

    /// SyncGroup v5+ says which protocol type and protocol the member believes the group has: one that differs
    /// from the group's is answered INCONSISTENT_GROUP_PROTOCOL before the group sees it, as Apache Kafka does.
    func syncGroup(_ request: KafkaSyncGroupRequest) async -> KafkaSyncGroupResponse {
        if request.protocolType != nil || request.protocolName != nil,
            let group = broker.classicGroups.describe(request.groupId),
            request.protocolType.map({ $0 != group.protocolType }) ?? false
                || request.protocolName.map({ !group.protocolName.isEmpty && $0 != group.protocolName }) ?? false
        {
            return KafkaSyncGroupResponse(errorCode: .inconsistentGroupProtocol, assignment: [])
        }
        let protocolType = request.protocolType
        let result = await broker.classicGroups.sync(
            groupID: request.groupId, generation: request.generationId, memberID: request.memberId,
            assignments: request.assignments.map { given in
                ClassicAssignment(
                    memberID: given.memberId, bytes: given.assignment,
                    partitions: protocolType.map { $0 == "consumer" } ?? true
                        ? Self.assignedPartitions(given.assignment) : [])
            })
        // A member the leader gave nothing gets a valid empty assignment, never zero bytes: kafka-python fails on
        // them (KAFKA-COMPAT §3).
        let assignment =
            result.error == .none && result.assignment.isEmpty
            ? KafkaConsumerProtocol.emptyAssignment : result.assignment
        return KafkaSyncGroupResponse(
            errorCode: KafkaErrorCode(result.error), protocolType: result.protocolType,
            protocolName: result.protocolName, assignment: assignment)
    }

    /// The topics of a "consumer" protocol subscription, for describing the group; `nil` for another protocol type
    /// (Kafka Connect's, say) or bytes `KafkaConsumerProtocol` cannot read.
    static func subscribedTopics(_ metadata: [UInt8], type protocolType: String) -> [String]? {
        guard protocolType == "consumer" else { return nil }
        return try? KafkaConsumerProtocol.subscriptionTopics(metadata).topics
    }

    /// The partitions a ConsumerProtocolAssignment assigns, for describing the group; none for bytes
    /// `KafkaConsumerProtocol` cannot read. (SyncGroup before v5 does not say the protocol type: bytes of another
    /// protocol rarely read as an assignment, and only `describeGroup` would show them; from v5 only a "consumer"
    /// group's are read.)
    static func assignedPartitions(_ assignment: [UInt8]) -> [TopicPartition] {
        guard let assigned = try? KafkaConsumerProtocol.assignedPartitions(assignment) else { return [] }
        return assigned.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.topic, partition: $0) } }
    }

    func heartbeat(_ request: KafkaHeartbeatRequest) -> KafkaErrorOnlyResponse {
        let error = broker.classicGroups.heartbeat(
            groupID: request.groupId, generation: request.generationId, memberID: request.memberId)
        return KafkaErrorOnlyResponse(errorCode: KafkaErrorCode(error))
    }

    /// Up to v2 one member leaves and its error is the answer's; from v3 each member named has its own, and the
    /// answer's error is the group's (INVALID_GROUP_ID, or none). A static member named by its instance id alone
    /// is answered UNKNOWN_MEMBER_ID: Sluice's groups know members by member id.
    func leaveGroup(_ request: KafkaLeaveGroupRequest, version: Int16) -> KafkaLeaveGroupResponse {
        let result = broker.classicGroups.leave(groupID: request.groupId, memberIDs: request.members.map(\.memberId))
        guard version >= 3 else { return KafkaLeaveGroupResponse(errorCode: KafkaErrorCode(result.error)) }
        let members = zip(request.members, result.members).map { asked, answer in
            KafkaLeaveGroupResponse.Member(
                memberId: asked.memberId, groupInstanceId: asked.groupInstanceId,
                errorCode: KafkaErrorCode(answer.error))
        }
        let groupError: KafkaErrorCode = result.error == .invalidGroupID ? .invalidGroupId : .none
        return KafkaLeaveGroupResponse(errorCode: groupError, members: members)
    }

    /// `consume` on the group was checked (`refusal`); a topic the peer may not consume is answered
    /// TOPIC_AUTHORIZATION_FAILED and not committed.
    func offsetCommit(_ request: KafkaOffsetCommitRequest, access: KafkaRequestAccess) async
        -> KafkaOffsetCommitResponse
    {
        var offsets: [CommittedOffset] = []
        // Per requested partition, in order: the index of its offset, or the error it is answered without being
        // committed: a topic the peer may not consume, a partition named twice (INVALID_REQUEST, as for
        // ListOffsets), metadata past Kafka's `offset.metadata.max.bytes` (OFFSET_METADATA_TOO_LARGE).
        var plan: [(topic: String, partition: Int32, offset: Int?, error: KafkaErrorCode)] = []
        var repeated = RepeatedEntries<TopicPartition>()
        for topic in request.topics {
            let permitted = access.permits(.consume, topic: topic.name)
            for partition in topic.partitions {
                let refusal: KafkaErrorCode? =
                    if !permitted {
                        .topicAuthorizationFailed
                    } else if !repeated.isFirst(TopicPartition(topic: topic.name, partition: partition.partitionIndex))
                    {
                        .invalidRequest
                    } else if (partition.committedMetadata?.utf8.count ?? 0) > RequestLimits().maxOffsetMetadataBytes {
                        .offsetMetadataTooLarge
                    } else {
                        nil
                    }
                if let refusal {
                    plan.append((topic.name, partition.partitionIndex, nil, refusal))
                    continue
                }
                plan.append((topic.name, partition.partitionIndex, offsets.count, .none))
                offsets.append(
                    CommittedOffset(
                        topic: topic.name, partition: partition.partitionIndex,
                        offset: partition.committedOffset,
                        metadata: partition.committedMetadata))
            }
        }
        var errors: [KafkaErrorCode] = []
        if !offsets.isEmpty || plan.isEmpty {
            do throws(SluiceError) {
                let checked = try await broker.commitOffsets(
                    group: request.groupId, memberID: request.memberId,
                    generation: request.generationId, offsets)
                errors = checked.map { $0.1.map(KafkaErrorCode.init) ?? .none }
            } catch {
                let code: KafkaErrorCode = request.groupId.isEmpty ? .invalidGroupId : KafkaErrorCode(error)
                errors = Array(repeating: code, count: offsets.count)
            }
        }
        // In the order asked, the refused partitions in their places.
        var topics: [KafkaOffsetCommitResponse.Topic] = []
        for entry in plan {
            let error = entry.offset.map { $0 < errors.count ? errors[$0] : .unknownServerError } ?? entry.error
            topics.append(
                KafkaOffsetCommitResponse.Partition(partitionIndex: entry.partition, errorCode: error),
                topic: entry.topic)
        }
        return KafkaOffsetCommitResponse(topics: topics)
    }

    /// Answers each group asked for (v8+ name several) on its own. A group the peer may not describe is answered
    /// GROUP_AUTHORIZATION_FAILED (and, for answers before v2, which have no error of their own, in each
    /// partition); a named topic the peer may not consume is answered TOPIC_AUTHORIZATION_FAILED, and an answer for
    /// every topic leaves such topics out, as Kafka's does.
    func offsetFetch(_ request: KafkaOffsetFetchRequest, access: KafkaRequestAccess) async
        -> KafkaOffsetFetchResponse
    {
        var groups: [KafkaOffsetFetchResponse.Group] = []
        for group in request.groups {
            groups.append(await offsetFetch(group, access: access))
        }
        return KafkaOffsetFetchResponse(groups: groups)
    }

    private func offsetFetch(_ request: KafkaOffsetFetchRequest.Group, access: KafkaRequestAccess) async
        -> KafkaOffsetFetchResponse.Group
    {
        guard access.permits(.describe(group: request.groupId)) else {
            let topics = (request.topics ?? []).map { topic in
                KafkaOffsetFetchResponse.Topic(
                    name: topic.name,
                    partitions: topic.partitionIndexes.map {
                        .init(
                            partitionIndex: $0, committedOffset: -1, metadata: "",
                            errorCode: .groupAuthorizationFailed)
                    })
            }
            return .init(groupId: request.groupId, topics: topics, errorCode: .groupAuthorizationFailed)
        }
        let committed: [CommittedOffset]
        do throws(SluiceError) {
            committed = try await broker.committedOffsets(
                group: request.groupId,
                topics: request.topics?.map(\.name))
        } catch {
            return .init(groupId: request.groupId, topics: [], errorCode: KafkaErrorCode(error))
        }
        var byPartition: [TopicPartition: CommittedOffset] = [:]
        for offset in committed {
            byPartition[TopicPartition(topic: offset.topic, partition: offset.partition)] = offset
        }
        let wanted: [KafkaOffsetFetchRequest.Topic] =
            request.topics
            ?? Dictionary(grouping: committed, by: \.topic)
            .sorted { $0.key < $1.key }
            .map { .init(name: $0.key, partitionIndexes: $0.value.map(\.partition).sorted()) }
        let refused = Set(request.topics?.map(\.name).filter { !access.permits(.consume, topic: $0) } ?? [])
        let topics = wanted.filter { request.topics != nil || access.mayConsume(topic: $0.name) }.map { topic in
            KafkaOffsetFetchResponse.Topic(
                name: topic.name,
                partitions: topic.partitionIndexes.map { partition in
                    if refused.contains(topic.name) {
                        return .init(
                            partitionIndex: partition, committedOffset: -1, metadata: "",
                            errorCode: .topicAuthorizationFailed)
                    }
                    // A partition the group has not committed is answered offset -1 and no error.
                    let offset = byPartition[TopicPartition(topic: topic.name, partition: partition)]
                    return .init(
                        partitionIndex: partition, committedOffset: offset?.offset ?? -1,
                        metadata: offset?.metadata ?? "")
                })
        }
        return .init(groupId: request.groupId, topics: topics)
    }
}

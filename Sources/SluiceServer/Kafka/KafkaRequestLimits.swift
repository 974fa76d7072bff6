import SluiceKafka

/// What one Kafka request may ask for, checked before any lookup, so that no request costs much more than its size:
/// entries per request (the native protocol's 10,000), the length of group ids, and the protocol metadata a
/// JoinGroup may leave with the group.
struct KafkaRequestLimits: Sendable {
    /// Topics or partitions a request may name.
    var maxEntries = RequestLimits().maxEntries
    /// Bytes of a group id (Kafka's practical limit, as on the native side).
    var maxGroupIDBytes = RequestLimits().maxGroupIDBytes
    /// Protocols one JoinGroup may offer (a consumer offers one per assignor it is configured with).
    var maxGroupProtocols = 64
    /// Bytes of protocol metadata one member may keep with its group, all protocols together. Apache Kafka stores
    /// a whole group's metadata as one record of `__consumer_offsets`, whose default limit is 1 MiB: no group that
    /// Kafka can keep needs more for one member.
    var maxMemberMetadataBytes = 1 << 20

    /// Why a request is refused as a whole, or nil. Kafka has no error frame for such a request, and most of these
    /// APIs no request-level error code: a request past a limit is treated as one that cannot be read, and the
    /// connection closed.
    func refusal(_ request: KafkaRequest) -> String? {
        switch request {
        case .produce(let produce):
            return entries(produce.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "Produce")
        case .fetch(let fetch):
            return entries(fetch.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "Fetch")
                ?? entries(
                    fetch.forgottenTopics.reduce(0) { $0 + $1.partitions.count }, "forgotten partitions", "Fetch")
        case .listOffsets(let list):
            return entries(list.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "ListOffsets")
        case .metadata(let metadata):
            return entries((metadata.topics?.count ?? 0) + metadata.topicIDs.count, "topics", "Metadata")
        case .offsetCommit(let commit):
            return groupID(commit.groupId)
                ?? entries(commit.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "OffsetCommit")
        case .offsetFetch(let fetch):
            let partitions = fetch.groups.reduce(0) { sum, group in
                sum + (group.topics?.reduce(0) { $0 + $1.partitionIndexes.count } ?? 0)
            }
            return entries(fetch.groups.count, "groups", "OffsetFetch")
                ?? fetch.groups.lazy.compactMap { groupID($0.groupId) }.first
                ?? entries(partitions, "partitions", "OffsetFetch")
        case .joinGroup(let join):
            return groupID(join.groupId)
                ?? entries(join.protocols.count, "protocols", "JoinGroup", max: maxGroupProtocols)
        case .syncGroup(let sync):
            return groupID(sync.groupId) ?? entries(sync.assignments.count, "assignments", "SyncGroup")
        case .createTopics(let create):
            return entries(create.topics.count, "topics", "CreateTopics")
        case .deleteTopics(let delete):
            return entries(delete.topics.count, "topics", "DeleteTopics")
        case .heartbeat(let heartbeat):
            return groupID(heartbeat.groupId)
        case .leaveGroup(let leave):
            return groupID(leave.groupId) ?? entries(leave.members.count, "members", "LeaveGroup")
        case .findCoordinator(let find):
            return entries(find.keys.count, "keys", "FindCoordinator")
        case .consumerGroupHeartbeat(let heartbeat):
            return groupID(heartbeat.groupId)
                ?? entries(heartbeat.subscribedTopicNames?.count ?? 0, "topics", "ConsumerGroupHeartbeat")
                ?? entries(
                    heartbeat.topicPartitions?.reduce(0) { $0 + $1.partitions.count } ?? 0, "partitions",
                    "ConsumerGroupHeartbeat")
        case .consumerGroupDescribe(let describe):
            return entries(describe.groupIds.count, "groups", "ConsumerGroupDescribe")
                ?? describe.groupIds.lazy.compactMap(groupID).first
        case .shareGroupHeartbeat(let heartbeat):
            return groupID(heartbeat.groupId)
                ?? entries(heartbeat.subscribedTopicNames?.count ?? 0, "topics", "ShareGroupHeartbeat")
        case .shareGroupDescribe(let describe):
            return entries(describe.groupIds.count, "groups", "ShareGroupDescribe")
                ?? describe.groupIds.lazy.compactMap(groupID).first
        case .shareFetch(let fetch):
            return groupID(fetch.groupId ?? "")
                ?? entries(fetch.entryCount, "partitions and acknowledgement batches", "ShareFetch")
                ?? acknowledgedOffsets(fetch.topics, "ShareFetch")
        case .shareAcknowledge(let acknowledge):
            return groupID(acknowledge.groupId ?? "")
                ?? entries(acknowledge.entryCount, "partitions and acknowledgement batches", "ShareAcknowledge")
                ?? acknowledgedOffsets(acknowledge.topics, "ShareAcknowledge")
        case .apiVersions, .initProducerId, .saslHandshake, .saslAuthenticate:
            return nil
        case .listGroups, .describeGroups, .deleteGroups, .offsetDelete, .describeConfigs, .alterConfigs,
            .incrementalAlterConfigs, .createPartitions, .deleteRecords, .describeCluster, .describeLogDirs,
            .offsetForLeaderEpoch:
            return adminRefusal(request)
        }
    }

    /// Bytes of protocol metadata a JoinGroup asks its member to keep.
    static func metadataBytes(_ join: KafkaJoinGroupRequest) -> Int {
        join.protocols.reduce(0) { $0 + $1.name.utf8.count + $1.metadata.count }
    }

    func entries(_ count: Int, _ what: String, _ api: String, max: Int? = nil) -> String? {
        let limit = max ?? maxEntries
        guard count > limit else { return nil }
        return "\(api) names \(count) \(what); at most \(limit) per request"
    }

    /// Per-offset acknowledgement types a request may carry in all (one byte each on the wire, one decision each
    /// for the broker): a batch with one type per offset must name exactly its offsets, checked by the dispatcher.
    var maxAcknowledgeTypes = 100_000

    private func acknowledgedOffsets(
        _ topics: [KafkaTopicByID<KafkaShareFetchRequest.Partition>], _ api: String
    ) -> String? {
        let types = topics.reduce(0) { total, topic in
            topic.partitions.reduce(total) { total, partition in
                partition.acknowledgementBatches.reduce(total) { $0 + $1.acknowledgeTypes.count }
            }
        }
        return entries(types, "acknowledge types", api, max: maxAcknowledgeTypes)
    }

    func groupID(_ group: String) -> String? {
        let length = group.utf8.count
        guard length > maxGroupIDBytes else { return nil }
        return "a group id of \(length) bytes is too long; at most \(maxGroupIDBytes)"
    }
}

/// Finds the entries of a request that repeat an earlier one: Apache Kafka answers each repeated partition of a
/// ListOffsets INVALID_REQUEST, and Sluice does the same for every API that names partitions, so one request cannot
/// make the server do the same work many times over.
struct RepeatedEntries<Key: Hashable> {
    private var seen: Set<Key> = []

    /// True the first time `key` is seen, false for every repeat.
    mutating func isFirst(_ key: Key) -> Bool {
        seen.insert(key).inserted
    }
}

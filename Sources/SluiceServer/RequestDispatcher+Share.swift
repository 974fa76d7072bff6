import SluiceBroker
import SluiceCore
import SluiceProtocol

// Share groups (API keys 30 to 35) onto the broker's share-group engine. Both SluiceProtocol and SluiceBroker have
// a `ShareFetchRequest` and a `ShareFetchResponse` (the wire's and the domain's): they are named with their module.

extension RequestDispatcher {
    /// A share fetch: acknowledgements first, then acquisition, answered from the broker's thread (no task hop).
    func shareFetch(
        _ request: SluiceProtocol.ShareFetchRequest,
        completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void
    ) {
        let metrics = self.metrics
        let spec = SluiceBroker.ShareFetchRequest(
            group: request.group, memberID: request.memberID, partitions: Self.partitions(request.topics),
            maxRecords: Int(request.maxRecords), maxBytes: min(Int(request.maxBytes), maxResponseBytes),
            maxWaitMs: Int(request.maxWaitMs), acknowledgements: Self.acknowledgements(request.acknowledgements))
        let acknowledged = Self.acknowledgedPartitions(request.acknowledgements)
        let fetched = Set(spec.partitions)
        broker.shareFetch(spec) { result in
            switch result {
            case .failure(let error):
                metrics.error(.shareFetch)
                completion(.failure(error))
            case .success(let answer):
                var topics: [TopicPartitions<SluiceProtocol.ShareFetchResponse.Partition>] = []
                var byPartition: [TopicPartition: ShareFetchedPartition] = [:]
                for partition in answer.partitions {
                    byPartition[partition.topicPartition] = partition
                    guard fetched.contains(partition.topicPartition) else { continue }
                    topics.appendPartition(
                        .init(
                            partition: partition.partition, error: partition.error, records: partition.records,
                            acquired: partition.acquired.map {
                                AcquiredRecords(
                                    firstOffset: $0.firstOffset, lastOffset: $0.lastOffset,
                                    deliveryCount: $0.deliveryCount)
                            }),
                        topic: partition.topic)
                }
                var results: [TopicPartitions<AcknowledgementResult>] = []
                for partition in acknowledged {
                    let entry = byPartition[partition]
                    results.appendPartition(
                        AcknowledgementResult(
                            partition: partition.partition, error: entry?.acknowledgeError ?? entry?.error),
                        topic: partition.topic)
                }
                completion(
                    .success(.shareFetch(SluiceProtocol.ShareFetchResponse(topics: topics, acknowledgements: results))))
            }
        }
    }

    /// Acknowledgements alone, answered once they are durable.
    func shareAcknowledge(
        _ request: ShareAcknowledgeRequest, completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void
    ) {
        let metrics = self.metrics
        let acknowledged = Self.acknowledgedPartitions(request.acknowledgements)
        broker.shareAcknowledge(
            group: request.group, memberID: request.memberID,
            acknowledgements: Self.acknowledgements(request.acknowledgements)
        ) { result in
            switch result {
            case .failure(let error):
                metrics.error(.shareAcknowledge)
                completion(.failure(error))
            case .success(let answers):
                var byPartition: [TopicPartition: SluiceError?] = [:]
                for answer in answers {
                    byPartition[TopicPartition(topic: answer.topic, partition: answer.partition)] = answer.error
                }
                var topics: [TopicPartitions<AcknowledgementResult>] = []
                for partition in acknowledged {
                    topics.appendPartition(
                        AcknowledgementResult(partition: partition.partition, error: byPartition[partition] ?? nil),
                        topic: partition.topic)
                }
                completion(.success(.shareAcknowledge(ShareAcknowledgeResponse(topics: topics))))
            }
        }
    }

    /// The partitions acknowledged, in the request's order.
    static func acknowledgedPartitions(_ topics: [TopicPartitions<PartitionAcknowledgements>]) -> [TopicPartition] {
        topics.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.name, partition: $0.partition) } }
    }

    static func acknowledgements(_ topics: [TopicPartitions<PartitionAcknowledgements>]) -> [ShareAcknowledgement] {
        var acknowledgements: [ShareAcknowledgement] = []
        for topic in topics {
            for partition in topic.partitions {
                for batch in partition.batches {
                    let type: ShareAcknowledgeType =
                        switch batch.kind {
                        case .gap: .gap
                        case .accept: .accept
                        case .release: .release
                        case .reject: .reject
                        case .renew: .renew
                        }
                    acknowledgements.append(
                        ShareAcknowledgement(
                            topic: topic.name, partition: partition.partition, firstOffset: batch.firstOffset,
                            lastOffset: batch.lastOffset, type: type,
                            releaseDelayMs: batch.delayMs > 0 ? Int64(batch.delayMs) : nil))
                }
            }
        }
        return acknowledgements
    }

    /// Share-group heartbeats, descriptions and group settings, in async/await.
    static func share(_ request: Request, broker: Broker) async throws(SluiceError) -> Response {
        switch request {
        case .shareGroupHeartbeat(let heartbeat):
            let answer = try await broker.shareGroupHeartbeat(
                group: heartbeat.group, memberID: heartbeat.memberID,
                memberEpoch: heartbeat.memberEpoch, clientID: heartbeat.clientID,
                topics: heartbeat.topics, leaving: heartbeat.leave)
            return .shareGroupHeartbeat(
                ShareGroupHeartbeatResponse(
                    memberID: answer.memberID, memberEpoch: answer.memberEpoch,
                    heartbeatIntervalMs: answer.heartbeatIntervalMs, assignment: topics(answer.assignment)))
        case .describeShareGroup(let describe):
            return .describeShareGroup(try await describeShareGroup(describe.group, broker: broker))
        case .alterGroupConfig(let alter):
            var set: [String: String] = [:]
            var remove: [String] = []
            var seen: Set<String> = []
            for entry in alter.configs {
                guard seen.insert(entry.key).inserted else {
                    throw SluiceError(.invalidArgument, "alter_group_config names '\(entry.key)' more than once")
                }
                if let value = entry.value { set[entry.key] = value } else { remove.append(entry.key) }
            }
            try await broker.alterGroupConfig(group: alter.group, set: set, remove: remove)
            return .alterGroupConfig(AlterGroupConfigResponse())
        case .describeGroupConfig(let describe):
            return .describeGroupConfig(
                DescribeGroupConfigResponse(configs: try await broker.groupConfig(group: describe.group)))
        default:
            preconditionFailure("\(request.apiKey.name) is not a share-group request")
        }
    }

    static func describeShareGroup(_ group: String, broker: Broker) async throws(SluiceError)
        -> DescribeShareGroupResponse
    {
        let description = try await broker.describeShareGroup(group)
        var topics: [TopicPartitions<DescribeShareGroupResponse.Partition>] = []
        for partition in description.partitions {
            topics.appendPartition(
                .init(
                    partition: partition.partition, startOffset: partition.startOffset,
                    endOffset: partition.endOffset, inFlight: Int32(clamping: partition.inFlight),
                    acquired: Int32(clamping: partition.acquired), available: Int64(partition.available),
                    delayed: Int32(clamping: partition.delayed), deadLettered: partition.deadLettered,
                    archived: partition.archived),
                topic: partition.topic)
        }
        return DescribeShareGroupResponse(
            group: description.group, state: GroupState(rawValue: description.state.rawValue) ?? .stable,
            members: description.members.map {
                .init(
                    memberID: $0.memberID, clientID: $0.clientID, memberEpoch: $0.memberEpoch, topics: $0.topics,
                    acquiredRecords: Int32(clamping: $0.acquiredRecords))
            },
            topics: topics, configs: description.config)
    }
}

import NIOCore
import SluiceBroker
import SluiceCore
import SluiceKafka

/// Kafka's internal `__consumer_offsets` topic, served read-only from the broker's commit log
/// (`KafkaConsumerOffsets`): Metadata lists it (internal) when asked for every topic or by name, Fetch and
/// ListOffsets answer its one partition, and it cannot be created. Produce and DeleteTopics find no such topic.
/// Reading it needs `consume` on the topic `__consumer_offsets` under an access policy: it shows every group's
/// commits.
extension KafkaDispatcher {
    static let consumerOffsets = KafkaConsumerOffsets.topic
    /// Its topic id (Metadata v10+, Fetch v13+): fixed, as a Kafka cluster's is for its life; version-4 bits, so it
    /// is none of Kafka's reserved ids, and no random topic id will ever be it in practice.
    static let consumerOffsetsID = KafkaUUID(bytes: [
        0x5C, 0x0F, 0x5E, 0x75, 0x00, 0x0F, 0x4F, 0x5E, 0x85, 0x1C, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x01,
    ])

    static func isConsumerOffsets(_ topic: KafkaFetchRequest.Topic<KafkaFetchRequest.Partition>) -> Bool {
        topic.name == consumerOffsets || topic.topicID == consumerOffsetsID
    }

    /// At most this many commits per fetch of the topic, whatever the byte limits.
    static let consumerOffsetsFetchLimit = 10_000

    func fetchIncludingConsumerOffsets(
        _ request: KafkaFetchRequest, version: Int16, access: KafkaRequestAccess,
        completion: @escaping @Sendable (KafkaFetchResponse) -> Void
    ) {
        guard request.topics.contains(where: Self.isConsumerOffsets) else {
            return fetch(request, version: version, access: access, completion: completion)
        }
        var rest = request
        rest.topics = request.topics.filter { !Self.isConsumerOffsets($0) }
        let asked = request.topics.filter(Self.isConsumerOffsets).flatMap(\.partitions)
        // Alone in the request, an empty answer waits as a fetch would (a commit does not wake it); beside other
        // topics, those topics' fetch does the waiting.
        let wait = rest.topics.isEmpty ? max(0, Int(request.maxWaitMs)) : 0
        Task {
            let partitions = await consumerOffsetsPartitions(
                asked, maxBytes: Int(request.maxBytes), waitMs: wait, access: access)
            let topic = KafkaFetchResponse.Topic(
                name: Self.consumerOffsets, topicID: Self.consumerOffsetsID, partitions: partitions)
            guard !rest.topics.isEmpty else { return completion(KafkaFetchResponse(topics: [topic])) }
            fetch(rest, version: version, access: access) { response in
                var response = response
                response.topics.append(topic)
                completion(response)
            }
        }
    }

    private func consumerOffsetsPartitions(
        _ asked: [KafkaFetchRequest.Partition], maxBytes: Int, waitMs: Int, access: KafkaRequestAccess
    ) async -> [KafkaFetchResponse.Partition] {
        let permitted = access.permits(.consume, topic: Self.consumerOffsets)
        var answers: [KafkaFetchResponse.Partition] = []
        var repeated = RepeatedEntries<Int32>()
        for partition in asked {
            let index = partition.partition
            func refused(_ code: KafkaErrorCode) -> KafkaFetchResponse.Partition {
                .init(
                    partitionIndex: index, errorCode: code, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1)
            }
            guard permitted else {
                answers.append(refused(.topicAuthorizationFailed))
                continue
            }
            guard repeated.isFirst(index) else {
                answers.append(refused(.invalidRequest))
                continue
            }
            guard index >= 0, index < KafkaConsumerOffsets.partitionCount else {
                answers.append(refused(.unknownTopicOrPartition))
                continue
            }
            do throws(SluiceError) {
                var bounds = try await broker.commitLogBounds()
                if partition.fetchOffset == bounds.next, waitMs > 0, asked.count == 1 {
                    try? await Task.sleep(for: .milliseconds(waitMs))
                    bounds = try await broker.commitLogBounds()
                }
                guard partition.fetchOffset >= bounds.start, partition.fetchOffset <= bounds.next else {
                    answers.append(
                        .init(
                            partitionIndex: index, errorCode: .offsetOutOfRange, highWatermark: bounds.next,
                            lastStableOffset: bounds.next, logStartOffset: bounds.start))
                    continue
                }
                let entries =
                    partition.fetchOffset < bounds.next
                    ? try await broker.commitLog(from: partition.fetchOffset, limit: Self.consumerOffsetsFetchLimit)
                    : []
                let limit = max(1, min(maxBytes, Int(partition.partitionMaxBytes), settings.maxResponseBytes / 2))
                answers.append(
                    .init(
                        partitionIndex: index, highWatermark: bounds.next, lastStableOffset: bounds.next,
                        logStartOffset: bounds.start, records: Self.consumerOffsetsBatch(entries, maxBytes: limit)))
            } catch {
                answers.append(refused(KafkaErrorCode(error)))
            }
        }
        return answers
    }

    /// The entries as one RecordBatch, stopping before `maxBytes` (but holding the first entry).
    static func consumerOffsetsBatch(_ entries: [CommitLogEntry], maxBytes: Int) -> ByteBuffer {
        var writer = KafkaRecordBatchWriter(capacity: min(maxBytes, entries.count * 96 + 64))
        for entry in entries {
            if writer.count > 0,
                writer.bytes.readableBytes + 96 + entry.group.utf8.count + entry.topic.utf8.count
                    + (entry.metadata?.utf8.count ?? 0) > maxBytes
            {
                break
            }
            let key = KafkaConsumerOffsets.key(group: entry.group, topic: entry.topic, partition: entry.partition)
            let value = KafkaConsumerOffsets.value(
                offset: entry.offset, metadata: entry.metadata, commitTimestamp: entry.commitMs)
            key.withUnsafeBytes { key in
                value.withUnsafeBytes { value in
                    writer.append(
                        offset: entry.logOffset, timestamp: entry.commitMs, key: key, value: value, headers: [])
                }
            }
        }
        writer.finish()
        return writer.bytes
    }

    func listOffsetsIncludingConsumerOffsets(_ request: KafkaListOffsetsRequest, access: KafkaRequestAccess) async
        -> KafkaListOffsetsResponse
    {
        guard request.topics.contains(where: { $0.name == Self.consumerOffsets }) else {
            return await listOffsets(request, access: access)
        }
        var rest = request
        rest.topics = request.topics.filter { $0.name != Self.consumerOffsets }
        var response =
            rest.topics.isEmpty ? KafkaListOffsetsResponse(topics: []) : await listOffsets(rest, access: access)
        let permitted = access.permits(.consume, topic: Self.consumerOffsets)
        var partitions: [KafkaListOffsetsResponse.Partition] = []
        var repeated = RepeatedEntries<Int32>()
        for partition in request.topics.filter({ $0.name == Self.consumerOffsets }).flatMap(\.partitions) {
            let index = partition.partitionIndex
            guard permitted else {
                partitions.append(.init(partitionIndex: index, errorCode: .topicAuthorizationFailed, offset: -1))
                continue
            }
            guard repeated.isFirst(index) else {
                partitions.append(.init(partitionIndex: index, errorCode: .invalidRequest, offset: -1))
                continue
            }
            guard index >= 0, index < KafkaConsumerOffsets.partitionCount else {
                partitions.append(.init(partitionIndex: index, errorCode: .unknownTopicOrPartition, offset: -1))
                continue
            }
            do throws(SluiceError) {
                let bounds = try await broker.commitLogBounds()
                switch partition.timestamp {
                case -2:
                    partitions.append(.init(partitionIndex: index, offset: bounds.start, leaderEpoch: 0))
                case -1:
                    partitions.append(.init(partitionIndex: index, offset: bounds.next, leaderEpoch: 0))
                default:
                    // The first commit at or after the time, by scanning the log (one entry per committed
                    // partition): Kafka answers -1 when there is none.
                    var from = bounds.start
                    var found: CommitLogEntry? = nil
                    while found == nil, from < bounds.next {
                        let entries = try await broker.commitLog(from: from, limit: Self.consumerOffsetsFetchLimit)
                        guard let last = entries.last else { break }
                        found = entries.first { $0.commitMs >= partition.timestamp }
                        from = last.logOffset + 1
                    }
                    partitions.append(
                        .init(
                            partitionIndex: index, timestamp: found?.commitMs ?? -1, offset: found?.logOffset ?? -1,
                            leaderEpoch: found == nil ? -1 : 0))
                }
            } catch {
                partitions.append(.init(partitionIndex: index, errorCode: KafkaErrorCode(error), offset: -1))
            }
        }
        response.topics.append(.init(name: Self.consumerOffsets, partitions: partitions))
        return response
    }

    /// Metadata with `__consumer_offsets` (internal, one partition) in its place when asked for by name, and
    /// with every topic for a peer that may see it; it is never auto-created.
    func metadataIncludingConsumerOffsets(_ request: KafkaMetadataRequest, access: KafkaRequestAccess) async
        -> KafkaMetadataResponse
    {
        var rest = request
        rest.topics = request.topics?.filter { $0 != Self.consumerOffsets }
        var response = await metadata(rest, access: access)
        // A topic of that name made through the native socket is not served here: the internal one is.
        response.topics.removeAll { $0.name == Self.consumerOffsets }
        let entry: KafkaMetadataResponse.Topic
        if let names = request.topics {
            guard names.contains(Self.consumerOffsets) else { return response }
            entry =
                access.permits(.describe(topic: Self.consumerOffsets))
                ? Self.consumerOffsetsMetadata
                : .init(errorCode: .topicAuthorizationFailed, name: Self.consumerOffsets, partitions: [])
            // In the order asked.
            let position = names.firstIndex(of: Self.consumerOffsets)!
            let before = Set(names[..<position])
            let index = response.topics.lastIndex { before.contains($0.name) }.map { $0 + 1 } ?? 0
            response.topics.insert(entry, at: index)
        } else {
            guard access.mayDescribe(topic: Self.consumerOffsets) else { return response }
            response.topics.append(Self.consumerOffsetsMetadata)
        }
        return response
    }

    static var consumerOffsetsMetadata: KafkaMetadataResponse.Topic {
        .init(
            name: consumerOffsets, topicID: consumerOffsetsID, isInternal: true,
            partitions: (0..<KafkaConsumerOffsets.partitionCount).map {
                .init(partitionIndex: $0, leaderId: nodeID, replicaNodes: [nodeID], isrNodes: [nodeID])
            })
    }

    /// CreateTopics with `__consumer_offsets` answered TOPIC_ALREADY_EXISTS in its place, as Kafka does.
    func createTopicsIncludingConsumerOffsets(_ request: KafkaCreateTopicsRequest, access: KafkaRequestAccess) async
        -> KafkaCreateTopicsResponse
    {
        guard request.topics.contains(where: { $0.name == Self.consumerOffsets }) else {
            return await createTopics(request, access: access)
        }
        var rest = request
        rest.topics = request.topics.filter { $0.name != Self.consumerOffsets }
        let created = rest.topics.isEmpty ? [] : await createTopics(rest, access: access).topics
        var byName: [String: KafkaTopicResult] = [:]
        for result in created { if let name = result.name { byName[name] = result } }
        return KafkaCreateTopicsResponse(
            topics: request.topics.compactMap { topic in
                topic.name == Self.consumerOffsets
                    ? KafkaTopicResult(
                        name: topic.name, errorCode: .topicAlreadyExists,
                        errorMessage: "'\(topic.name)' is Kafka's internal topic, served by Sluice read-only")
                    : byName.removeValue(forKey: topic.name)
            })
    }
}

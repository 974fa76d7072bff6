import Logging
import SluiceBroker
import SluiceCore
import SluiceKafka

/// Metadata, offsets by time, topic administration and producer ids.
extension KafkaDispatcher {
    /// Answers each named topic once, however often the request names it (as Apache Kafka does). A named topic the
    /// peer has no grant on is answered TOPIC_AUTHORIZATION_FAILED; an answer for every topic leaves such topics
    /// out; a missing topic is created only for a peer with `admin` on it.
    func metadata(_ request: KafkaMetadataRequest, access: KafkaRequestAccess) async -> KafkaMetadataResponse {
        var request = request
        // Topics asked for by id (v12): by name from here on; an id no topic has is answered UNKNOWN_TOPIC_ID.
        var unknownIDs: [TopicID] = []
        if !request.topicIDs.isEmpty {
            var names = request.topics ?? []
            for id in request.topicIDs {
                if let name = broker.topicName(id: id) { names.append(name) } else { unknownIDs.append(id) }
            }
            request.topics = names
        }
        if let names = request.topics {
            var repeated = RepeatedEntries<String>()
            request.topics = names.filter { repeated.isFirst($0) }
        }
        var refused: Set<String> = []
        for name in request.topics ?? [] where !access.permits(.describe(topic: name)) {
            refused.insert(name)
        }
        if let names = request.topics, settings.autoCreateTopics, request.allowAutoTopicCreation {
            for (name, result) in broker.partitionCounts(names.filter { !refused.contains($0) }) {
                guard case .failure(let error) = result, error.code == .unknownTopic,
                    access.permits(.admin, topic: name)
                else { continue }
                await autoCreate(name)
            }
        }
        // Partition counts only, from memory: a Kafka client's metadata of every topic opens none of them.
        let known = broker.partitionCounts(request.topics?.filter { !refused.contains($0) })
        let answered = known.filter { request.topics != nil || access.mayDescribe(topic: $0.name) }
        var byName: [String: KafkaMetadataResponse.Topic] = [:]
        var topics = answered.map { name, result -> KafkaMetadataResponse.Topic in
            switch result {
            case .success(let count):
                return .init(
                    name: name,
                    partitions: (0..<count).map { partition in
                        .init(
                            partitionIndex: partition, leaderId: Self.nodeID, replicaNodes: [Self.nodeID],
                            isrNodes: [Self.nodeID])
                    })
            case .failure(let error):
                return .init(errorCode: KafkaErrorCode(error), name: name, partitions: [])
            }
        }
        if let names = request.topics, !refused.isEmpty {
            // In the order asked.
            for topic in topics { byName[topic.name] = topic }
            topics = names.compactMap { name in
                refused.contains(name)
                    ? KafkaMetadataResponse.Topic(errorCode: .topicAuthorizationFailed, name: name, partitions: [])
                    : byName[name]
            }
        }
        let ids = broker.topicIDs(named: topics.map(\.name))
        for index in topics.indices { topics[index].topicId = ids[topics[index].name] ?? .zero }
        topics += unknownIDs.map { .init(errorCode: .unknownTopicId, name: "", topicId: $0, partitions: []) }
        return KafkaMetadataResponse(
            brokers: [.init(nodeId: Self.nodeID, host: advertised.host, port: advertised.port)],
            clusterId: Self.clusterID, controllerId: Self.nodeID, topics: topics)
    }

    private func autoCreate(_ name: String) async {
        do throws(SluiceError) {
            _ = try await broker.createTopic(name, config: TopicConfig(partitions: settings.defaultPartitions))
            logger.info("kafka client created a topic", metadata: ["topic": "\(name)"])
        } catch {
            // Another client may have created it meanwhile; the metadata that follows tells the client either way.
            logger.debug("kafka topic auto-creation failed", metadata: ["topic": "\(name)", "error": "\(error)"])
        }
    }

    func findCoordinator(_ request: KafkaFindCoordinatorRequest) -> KafkaFindCoordinatorResponse {
        // Key type 1 asks for a transaction coordinator; Sluice has no transactions.
        guard request.keyType == 0 else {
            return .init(
                errorCode: .coordinatorNotAvailable, errorMessage: "transactions are not supported",
                nodeId: -1, host: "", port: -1)
        }
        return .init(nodeId: Self.nodeID, host: advertised.host, port: advertised.port)
    }

    /// A topic the peer may not consume is answered TOPIC_AUTHORIZATION_FAILED; a partition named twice is answered
    /// INVALID_REQUEST each time after the first, as Apache Kafka does.
    func listOffsets(_ request: KafkaListOffsetsRequest, access: KafkaRequestAccess) async -> KafkaListOffsetsResponse {
        var queries: [(topic: String, partition: Int32, spec: OffsetSpec)] = []
        var refused: Set<String> = []
        var repeats: [(topic: String, partition: Int32)] = []
        var repeated = RepeatedEntries<TopicPartition>()
        for topic in request.topics {
            guard access.permits(.consume, topic: topic.name) else {
                refused.insert(topic.name)
                continue
            }
            for partition in topic.partitions {
                guard repeated.isFirst(TopicPartition(topic: topic.name, partition: partition.partitionIndex)) else {
                    repeats.append((topic.name, partition.partitionIndex))
                    continue
                }
                let spec: OffsetSpec =
                    switch partition.timestamp {
                    case -2: .earliest
                    case -1: .latest
                    default: .timestamp(partition.timestamp)
                    }
                queries.append((topic.name, partition.partitionIndex, spec))
            }
        }
        let answers = await broker.listOffsets(queries)
        var topics: [KafkaListOffsetsResponse.Topic] = []
        for (query, answer) in zip(queries, answers) {
            let partition: KafkaListOffsetsResponse.Partition
            switch answer.result {
            case .success(let found):
                if case .timestamp = query.spec, found.timestamp < 0 {
                    // No record at or after the time: Kafka answers offset -1.
                    partition = .init(partitionIndex: query.partition, offset: -1)
                } else {
                    partition = .init(
                        partitionIndex: query.partition, timestamp: found.timestamp,
                        offset: found.offset, leaderEpoch: 0)
                }
            case .failure(let error):
                partition = .init(partitionIndex: query.partition, errorCode: KafkaErrorCode(error), offset: -1)
            }
            topics.append(partition, topic: query.topic)
        }
        if !refused.isEmpty {
            // In the order asked, the refused topics in their places.
            var answered: [String: KafkaListOffsetsResponse.Topic] = [:]
            for topic in topics { answered[topic.name] = topic }
            topics = request.topics.compactMap { topic in
                guard refused.contains(topic.name) else { return answered.removeValue(forKey: topic.name) }
                return KafkaListOffsetsResponse.Topic(
                    name: topic.name,
                    partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: .topicAuthorizationFailed, offset: -1)
                    })
            }
        }
        for repeated in repeats {
            topics.append(
                .init(partitionIndex: repeated.partition, errorCode: .invalidRequest, offset: -1), topic: repeated.topic
            )
        }
        return KafkaListOffsetsResponse(topics: topics)
    }

    /// Each topic needs `admin` on it; one refused is answered TOPIC_AUTHORIZATION_FAILED.
    func createTopics(_ request: KafkaCreateTopicsRequest, access: KafkaRequestAccess) async
        -> KafkaCreateTopicsResponse
    {
        var results: [KafkaTopicResult] = []
        for topic in request.topics {
            guard access.permits(.admin, topic: topic.name) else {
                results.append(Self.refused(topic.name, access: access, operation: .admin))
                continue
            }
            results.append(await createTopic(topic, validateOnly: request.validateOnly))
        }
        return KafkaCreateTopicsResponse(topics: results)
    }

    private func createTopic(_ topic: KafkaCreateTopicsRequest.Topic, validateOnly: Bool) async -> KafkaTopicResult {
        // One host, one copy: a replication factor is accepted only when it asks for no more than that.
        guard topic.replicationFactor == -1 || topic.replicationFactor == 1 else {
            return .init(
                name: topic.name, errorCode: .invalidReplicationFactor,
                errorMessage: "Sluice keeps one copy of each partition: replication factor must be 1")
        }
        guard topic.assignments.isEmpty else {
            return .init(
                name: topic.name, errorCode: .invalidRequest,
                errorMessage: "manual replica assignment is not supported")
        }
        let partitions = topic.numPartitions == -1 ? settings.defaultPartitions : topic.numPartitions
        guard partitions >= 1 && partitions <= TopicConfig.maxPartitions else {
            return .init(
                name: topic.name, errorCode: .invalidPartitions,
                errorMessage: "partitions must be between 1 and \(TopicConfig.maxPartitions)")
        }
        let config: TopicConfig
        do throws(SluiceError) {
            config = try TopicConfig(
                partitions: partitions,
                configEntries: topic.configs.map { ConfigEntry(key: $0.name, value: $0.value) })
        } catch {
            return .init(name: topic.name, errorCode: .invalidConfig, errorMessage: error.message)
        }
        do throws(SluiceError) {
            try TopicName.validate(topic.name)
            if validateOnly {
                if case .success = broker.partitionCounts([topic.name]).first?.result {
                    throw SluiceError(.topicAlreadyExists, "topic '\(topic.name)' already exists")
                }
                return .init(name: topic.name)
            }
            _ = try await broker.createTopic(topic.name, config: config)
            return .init(name: topic.name)
        } catch {
            return .init(name: topic.name, errorCode: KafkaErrorCode(error), errorMessage: error.message)
        }
    }

    /// Each topic needs `admin` on it; one refused is answered TOPIC_AUTHORIZATION_FAILED.
    func deleteTopics(_ request: KafkaDeleteTopicsRequest, access: KafkaRequestAccess) async
        -> KafkaDeleteTopicsResponse
    {
        var results: [KafkaTopicResult] = []
        for name in request.topicNames {
            guard access.permits(.admin, topic: name) else {
                results.append(Self.refused(name, access: access, operation: .admin))
                continue
            }
            do throws(SluiceError) {
                try await broker.deleteTopic(name)
                results.append(.init(name: name))
            } catch {
                results.append(.init(name: name, errorCode: KafkaErrorCode(error), errorMessage: error.message))
            }
        }
        return KafkaDeleteTopicsResponse(topics: results)
    }

    private static func refused(_ topic: String, access: KafkaRequestAccess, operation: AccessOperation)
        -> KafkaTopicResult
    {
        .init(
            name: topic, errorCode: .topicAuthorizationFailed,
            errorMessage: AccessPolicy.refusal(access.peer, .topic(operation, topic), api: access.api))
    }

    func initProducerID(_ request: KafkaInitProducerIdRequest) async -> KafkaInitProducerIdResponse {
        guard request.transactionalId == nil else {
            return .init(errorCode: .transactionalIdAuthorizationFailed, producerId: -1, producerEpoch: -1)
        }
        do throws(SluiceError) {
            let identity = try await broker.initProducerID()
            return .init(producerId: identity.producerID, producerEpoch: identity.epoch)
        } catch {
            return .init(errorCode: KafkaErrorCode(error), producerId: -1, producerEpoch: -1)
        }
    }
}

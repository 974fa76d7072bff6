import Logging
import SluiceBroker
import SluiceCore
import SluiceKafka

/// Metadata, offsets by time, topic administration and producer ids.
extension KafkaDispatcher {
    func metadata(_ request: KafkaMetadataRequest) async -> KafkaMetadataResponse {
        if let names = request.topics, settings.autoCreateTopics, request.allowAutoTopicCreation {
            for (name, result) in broker.partitionCounts(names) {
                guard case .failure(let error) = result, error.code == .unknownTopic else { continue }
                await autoCreate(name)
            }
        }
        // Partition counts only, from memory: a Kafka client's metadata of every topic opens none of them.
        let topics = broker.partitionCounts(request.topics).map { name, result -> KafkaMetadataResponse.Topic in
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

    func listOffsets(_ request: KafkaListOffsetsRequest) async -> KafkaListOffsetsResponse {
        var queries: [(topic: String, partition: Int32, spec: OffsetSpec)] = []
        for topic in request.topics {
            for partition in topic.partitions {
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
        return KafkaListOffsetsResponse(topics: topics)
    }

    func createTopics(_ request: KafkaCreateTopicsRequest) async -> KafkaCreateTopicsResponse {
        var results: [KafkaTopicResult] = []
        for topic in request.topics {
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

    func deleteTopics(_ request: KafkaDeleteTopicsRequest) async -> KafkaDeleteTopicsResponse {
        var results: [KafkaTopicResult] = []
        for name in request.topicNames {
            do throws(SluiceError) {
                try await broker.deleteTopic(name)
                results.append(.init(name: name))
            } catch {
                results.append(.init(name: name, errorCode: KafkaErrorCode(error), errorMessage: error.message))
            }
        }
        return KafkaDeleteTopicsResponse(topics: results)
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

import Logging
import SluiceBroker
import SluiceCore
import SluiceKafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension KafkaErrorCode {
    static let invalidReplicaAssignment = KafkaErrorCode(39)
    static let unknownLeaderEpoch = KafkaErrorCode(74)
    static let mismatchedEndpointType = KafkaErrorCode(114)
}

/// The admin APIs tools call besides topic creation and deletion: the dispatch of every one of them
/// (`adminTool`), and CreatePartitions, DeleteRecords, DescribeCluster, DescribeLogDirs and OffsetForLeaderEpoch.
extension KafkaDispatcher {
    /// Answers one of the admin APIs of `KafkaDispatcher+AdminGroups.swift`, `+Configs.swift` and this file.
    func adminTool(_ request: KafkaRequest, version: Int16, access: KafkaRequestAccess) async -> any KafkaResponse {
        switch request {
        case .listGroups(let list): await listGroups(list, access: access)
        case .describeGroups(let describe): await describeGroups(describe, access: access)
        case .deleteGroups(let delete): await deleteGroups(delete, access: access)
        case .offsetDelete(let delete): await offsetDelete(delete, access: access)
        case .describeConfigs(let describe): await describeConfigs(describe, access: access)
        case .alterConfigs(let alter): await alterConfigs(alter, access: access)
        case .incrementalAlterConfigs(let alter): await incrementalAlterConfigs(alter, access: access)
        case .createPartitions(let create): await createPartitions(create, access: access)
        case .deleteRecords(let delete): await deleteRecords(delete, access: access)
        case .describeCluster(let describe): describeCluster(describe)
        case .describeLogDirs(let describe): await describeLogDirs(describe)
        case .offsetForLeaderEpoch(let epochs): await offsetForLeaderEpoch(epochs, access: access)
        default: preconditionFailure("\(request.apiKey) is not an admin tool")
        }
    }

    /// Each topic needs `admin` on it (TOPIC_AUTHORIZATION_FAILED in its result). The count is the new total and
    /// only grows (INVALID_PARTITIONS otherwise, as Kafka answers); replica assignments may name broker 1 only.
    /// The new partitions' tables are made in the topic's database in one transaction, and groups see the new
    /// count at once.
    func createPartitions(_ request: KafkaCreatePartitionsRequest, access: KafkaRequestAccess) async
        -> KafkaCreatePartitionsResponse
    {
        var results: [KafkaTopicResult] = []
        var repeated = RepeatedEntries<String>()
        for topic in request.topics {
            guard repeated.isFirst(topic.name) else {
                results.append(
                    .init(name: topic.name, errorCode: .invalidRequest, errorMessage: "topic named more than once"))
                continue
            }
            guard access.permits(.topic(.admin, topic.name)) else {
                results.append(
                    .init(
                        name: topic.name, errorCode: .topicAuthorizationFailed,
                        errorMessage: "not authorized to alter topic '\(topic.name)'"))
                continue
            }
            results.append(await createPartitions(topic, validateOnly: request.validateOnly))
        }
        return KafkaCreatePartitionsResponse(results: results)
    }

    private func createPartitions(_ topic: KafkaCreatePartitionsRequest.Topic, validateOnly: Bool) async
        -> KafkaTopicResult
    {
        let current: Int32
        do throws(SluiceError) {
            current = try broker.topicConfig(topic.name).partitions
        } catch {
            return .init(name: topic.name, errorCode: KafkaErrorCode(error), errorMessage: error.message)
        }
        guard topic.count > current else {
            let relation = topic.count == current ? "equal to" : "higher than"
            return .init(
                name: topic.name, errorCode: .invalidPartitions,
                errorMessage: "Topic currently has \(current) partitions, which is \(relation) the requested "
                    + "\(topic.count).")
        }
        guard topic.count <= TopicConfig.maxPartitions else {
            return .init(
                name: topic.name, errorCode: .invalidPartitions,
                errorMessage: "partitions must be at most \(TopicConfig.maxPartitions), not \(topic.count)")
        }
        if let assignments = topic.assignments {
            guard assignments.count == Int(topic.count - current),
                assignments.allSatisfy({ $0 == [Self.nodeID] })
            else {
                return .init(
                    name: topic.name, errorCode: .invalidReplicaAssignment,
                    errorMessage: "each new partition's replicas must be [\(Self.nodeID)]: Sluice is one broker "
                        + "with one copy of each partition")
            }
        }
        if validateOnly { return .init(name: topic.name) }
        do throws(SluiceError) {
            let count = topic.count
            try await broker.alterTopic(topic.name) { $0.partitions = max($0.partitions, count) }
            logger.info(
                "kafka client added partitions", metadata: ["topic": "\(topic.name)", "partitions": "\(count)"])
            return .init(name: topic.name)
        } catch {
            return .init(name: topic.name, errorCode: KafkaErrorCode(error), errorMessage: error.message)
        }
    }

    /// Each topic needs `admin` on it (TOPIC_AUTHORIZATION_FAILED in its partitions). Each partition's log start is
    /// raised to the offset (-1: the high watermark) as retention raises it; an offset past the high watermark is
    /// OFFSET_OUT_OF_RANGE. A partition named twice is INVALID_REQUEST.
    func deleteRecords(_ request: KafkaDeleteRecordsRequest, access: KafkaRequestAccess) async
        -> KafkaDeleteRecordsResponse
    {
        var topics: [KafkaTopic<KafkaDeleteRecordsResponse.Partition>] = []
        var repeated = RepeatedEntries<TopicPartition>()
        for topic in request.topics {
            let permitted = access.permits(.topic(.admin, topic.name))
            var answers: [Int32: KafkaDeleteRecordsResponse.Partition] = [:]
            var cuts: [(partition: Int32, before: Int64)] = []
            var order: [(partition: Int32, repeated: Bool)] = []
            for partition in topic.partitions {
                let first = repeated.isFirst(TopicPartition(topic: topic.name, partition: partition.partitionIndex))
                order.append((partition.partitionIndex, !first))
                guard first else { continue }
                if !permitted {
                    answers[partition.partitionIndex] = .init(
                        partitionIndex: partition.partitionIndex, lowWatermark: -1,
                        errorCode: .topicAuthorizationFailed)
                } else if partition.offset < -1 {
                    answers[partition.partitionIndex] = .init(
                        partitionIndex: partition.partitionIndex, lowWatermark: -1, errorCode: .offsetOutOfRange)
                } else {
                    cuts.append((partition.partitionIndex, partition.offset))
                }
            }
            if !cuts.isEmpty {
                do throws(SluiceError) {
                    for answer in try await broker.deleteRecords(topic.name, cuts) {
                        switch answer.result {
                        case .success(let logStart):
                            answers[answer.partition] = .init(partitionIndex: answer.partition, lowWatermark: logStart)
                        case .failure(let error):
                            answers[answer.partition] = .init(
                                partitionIndex: answer.partition, lowWatermark: -1, errorCode: KafkaErrorCode(error))
                        }
                    }
                } catch {
                    for cut in cuts {
                        answers[cut.partition] = .init(
                            partitionIndex: cut.partition, lowWatermark: -1, errorCode: KafkaErrorCode(error))
                    }
                }
            }
            topics.append(
                KafkaTopic(
                    name: topic.name,
                    partitions: order.map { entry in
                        entry.repeated
                            ? .init(partitionIndex: entry.partition, lowWatermark: -1, errorCode: .invalidRequest)
                            : answers[entry.partition]
                                ?? .init(
                                    partitionIndex: entry.partition, lowWatermark: -1,
                                    errorCode: .unknownServerError)
                    }))
        }
        return KafkaDeleteRecordsResponse(topics: topics)
    }

    /// The cluster of one broker, which is also its controller. Needs nothing (as in Kafka, where only the
    /// authorized operations need an ACL; Sluice does not report them). Asking for controllers
    /// (endpoint type 2) is MISMATCHED_ENDPOINT_TYPE: this is a broker's endpoint, as Kafka answers it.
    func describeCluster(_ request: KafkaDescribeClusterRequest) -> KafkaDescribeClusterResponse {
        guard request.endpointType == 1 else {
            return KafkaDescribeClusterResponse(
                errorCode: .mismatchedEndpointType,
                errorMessage: "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type "
                    + (request.endpointType == 2 ? "CONTROLLER" : "\(request.endpointType)"),
                endpointType: 1, clusterId: Self.clusterID, controllerId: -1, brokers: [])
        }
        return KafkaDescribeClusterResponse(
            clusterId: Self.clusterID, controllerId: Self.nodeID,
            brokers: [.init(brokerId: Self.nodeID, host: advertised.host, port: advertised.port)])
    }

    /// One log directory, the data directory, with the bytes of record data each partition stores and the file
    /// system's total and free bytes. Access was checked (`refusal`: `admin` on some topic). Topics not found are
    /// left out, as Kafka leaves them out.
    func describeLogDirs(_ request: KafkaDescribeLogDirsRequest) async -> KafkaDescribeLogDirsResponse {
        let wanted: [(name: String, partitions: [Int32]?)] =
            request.topics?.map { ($0.name, $0.partitions) }
            ?? broker.partitionCounts(nil).map { ($0.name, nil) }
        var topics: [KafkaTopic<KafkaDescribeLogDirsResponse.Partition>] = []
        var repeated = RepeatedEntries<String>()
        for topic in wanted where repeated.isFirst(topic.name) {
            guard let sizes = try? await broker.partitionSizes(topic.name) else { continue }
            let indexes = topic.partitions ?? Array(0..<Int32(sizes.count))
            let partitions = indexes.filter { $0 >= 0 && Int($0) < sizes.count }.map {
                KafkaDescribeLogDirsResponse.Partition(partitionIndex: $0, partitionSize: sizes[Int($0)])
            }
            if !partitions.isEmpty { topics.append(KafkaTopic(name: topic.name, partitions: partitions)) }
        }
        let space = Self.fileSystemSpace(broker.dataDirectory)
        return KafkaDescribeLogDirsResponse(
            results: [
                .init(
                    logDir: broker.dataDirectory, topics: topics, totalBytes: space.total, usableBytes: space.usable)
            ])
    }

    /// The file system's size and the bytes free for the server's user; -1 each when unknown.
    static func fileSystemSpace(_ path: String) -> (total: Int64, usable: Int64) {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return (-1, -1) }
        let unit = Int64(info.f_frsize)
        return (Int64(info.f_blocks) * unit, Int64(info.f_bavail) * unit)
    }

    /// Every partition has had one leader epoch, 0, since it was created: its end offset is the high watermark. A
    /// later epoch is unknown (-1, -1, as Kafka answers an epoch past its last), a current leader epoch above 0
    /// UNKNOWN_LEADER_EPOCH. Needs any grant on the topic (TOPIC_AUTHORIZATION_FAILED in its partitions).
    func offsetForLeaderEpoch(_ request: KafkaOffsetForLeaderEpochRequest, access: KafkaRequestAccess) async
        -> KafkaOffsetForLeaderEpochResponse
    {
        var queries: [(topic: String, partition: Int32, spec: OffsetSpec)] = []
        var plan: [(topic: String, partition: Int32, query: Int?, error: KafkaErrorCode)] = []
        for topic in request.topics {
            let permitted = access.permits(.describe(topic: topic.name))
            for partition in topic.partitions {
                if !permitted {
                    plan.append((topic.name, partition.partition, nil, .topicAuthorizationFailed))
                } else if partition.currentLeaderEpoch > 0 {
                    plan.append((topic.name, partition.partition, nil, .unknownLeaderEpoch))
                } else if partition.leaderEpoch != 0 {
                    plan.append((topic.name, partition.partition, nil, .none))
                } else {
                    plan.append((topic.name, partition.partition, queries.count, .none))
                    queries.append((topic.name, partition.partition, .latest))
                }
            }
        }
        let answers = queries.isEmpty ? [] : await broker.listOffsets(queries)
        var topics: [KafkaTopic<KafkaOffsetForLeaderEpochResponse.Partition>] = []
        for entry in plan {
            let partition: KafkaOffsetForLeaderEpochResponse.Partition
            if let index = entry.query {
                switch answers[index].result {
                case .success(let found):
                    partition = .init(partition: entry.partition, leaderEpoch: 0, endOffset: found.offset)
                case .failure(let error):
                    partition = .init(
                        errorCode: KafkaErrorCode(error), partition: entry.partition, leaderEpoch: -1, endOffset: -1)
                }
            } else {
                partition = .init(errorCode: entry.error, partition: entry.partition, leaderEpoch: -1, endOffset: -1)
            }
            topics.append(partition, topic: entry.topic)
        }
        return KafkaOffsetForLeaderEpochResponse(topics: topics)
    }
}

extension KafkaRequestLimits {
    /// What the admin APIs may name (`refusal`).
    func adminRefusal(_ request: KafkaRequest) -> String? {
        switch request {
        case .listGroups(let list):
            return entries(list.statesFilter.count + list.typesFilter.count, "filters", "ListGroups")
        case .describeGroups(let describe):
            return describe.groups.lazy.compactMap(groupID).first
                ?? entries(describe.groups.count, "groups", "DescribeGroups")
        case .deleteGroups(let delete):
            return delete.groupsNames.lazy.compactMap(groupID).first
                ?? entries(delete.groupsNames.count, "groups", "DeleteGroups")
        case .offsetDelete(let delete):
            return groupID(delete.groupId)
                ?? entries(delete.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "OffsetDelete")
        case .describeConfigs(let describe):
            return entries(
                describe.resources.reduce(0) { $0 + 1 + ($1.configurationKeys?.count ?? 0) }, "resources and keys",
                "DescribeConfigs")
        case .alterConfigs(let alter):
            return entries(
                alter.resources.reduce(0) { $0 + 1 + $1.configs.count }, "resources and keys", "AlterConfigs")
        case .incrementalAlterConfigs(let alter):
            return entries(
                alter.resources.reduce(0) { $0 + 1 + $1.configs.count }, "resources and keys",
                "IncrementalAlterConfigs")
        case .createPartitions(let create):
            return entries(create.topics.count, "topics", "CreatePartitions")
        case .deleteRecords(let delete):
            return entries(delete.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "DeleteRecords")
        case .describeLogDirs(let describe):
            return entries(
                describe.topics?.reduce(0) { $0 + 1 + $1.partitions.count } ?? 0, "topics", "DescribeLogDirs")
        case .offsetForLeaderEpoch(let epochs):
            return entries(epochs.topics.reduce(0) { $0 + $1.partitions.count }, "partitions", "OffsetForLeaderEpoch")
        default:
            return nil
        }
    }
}

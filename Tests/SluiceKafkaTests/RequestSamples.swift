import NIOCore
import SluiceCore

@testable import SluiceKafka

/// One request per API with every field set to a non-default value that exists at the API's highest advertised
/// version (fields absent there keep their defaults, so a round trip at the top version is exact).
enum RequestSamples {
    static let common: [KafkaRequest] = [
        .produce(
            KafkaProduceRequest(
                transactionalId: "tx", acks: -1, timeoutMs: 30_000,
                topics: [
                    .init(
                        name: "demo",
                        partitions: [
                            .init(index: 0, records: ByteBuffer(bytes: [1, 2, 3])), .init(index: 2, records: nil),
                        ])
                ])),
        .fetch(
            KafkaFetchRequest(
                replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, isolationLevel: 1, sessionId: 0,
                sessionEpoch: -1,
                // Named by id at the top version (v13+), so the name keeps its default there.
                topics: [
                    .init(
                        name: "", topicID: KafkaUUID(bytes: Array(1...16)),
                        partitions: [
                            .init(
                                partition: 1, currentLeaderEpoch: 3, fetchOffset: 42, lastFetchedEpoch: 2,
                                logStartOffset: -1, partitionMaxBytes: 1_048_576)
                        ])
                ],
                forgottenTopics: [.init(name: "", topicID: KafkaUUID(bytes: Array(17...32)), partitions: [3, 4])],
                rackId: "rack-a")),
        .listOffsets(
            KafkaListOffsetsRequest(
                replicaId: -1, isolationLevel: 1,
                topics: [
                    .init(name: "demo", partitions: [.init(partitionIndex: 0, currentLeaderEpoch: 5, timestamp: -2)])
                ])),
        .metadata(
            KafkaMetadataRequest(
                topics: ["a", "b"], topicIDs: [KafkaUUID(bytes: Array(1...16))], allowAutoTopicCreation: false,
                includeTopicAuthorizedOperations: true)),
        .offsetCommit(
            KafkaOffsetCommitRequest(
                groupId: "g", generationId: 3, memberId: "m-1", groupInstanceId: "static-1", retentionTimeMs: -1,
                topics: [
                    .init(
                        name: "demo",
                        partitions: [
                            .init(
                                partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: 2,
                                committedMetadata: "meta"),
                            .init(partitionIndex: 1, committedOffset: 11, committedMetadata: nil),
                        ])
                ])),
        .offsetFetch(
            KafkaOffsetFetchRequest(
                groups: [
                    .init(
                        groupId: "g", memberId: "m-1", memberEpoch: 4,
                        topics: [.init(name: "demo", partitionIndexes: [0, 1, 2])]),
                    .init(groupId: "h", topics: nil),
                ], requireStable: true)),
        .findCoordinator(KafkaFindCoordinatorRequest(keys: ["g", "h"], keyType: 1)),
        .joinGroup(
            KafkaJoinGroupRequest(
                groupId: "g", sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000, memberId: "m-1",
                groupInstanceId: "i", protocolType: "consumer",
                protocols: [
                    .init(name: "range", metadata: [0, 0, 0, 0, 0, 0]), .init(name: "roundrobin", metadata: []),
                ], reason: "rebalance")),
        .heartbeat(KafkaHeartbeatRequest(groupId: "g", generationId: 7, memberId: "m-1", groupInstanceId: "i")),
        .leaveGroup(
            KafkaLeaveGroupRequest(
                groupId: "g",
                members: [
                    .init(memberId: "m-1", groupInstanceId: "i", reason: "closing"), .init(memberId: "m-2"),
                ])),
        .syncGroup(
            KafkaSyncGroupRequest(
                groupId: "g", generationId: 7, memberId: "m-1", groupInstanceId: "i", protocolType: "consumer",
                protocolName: "range",
                assignments: [.init(memberId: "m-1", assignment: KafkaConsumerProtocol.emptyAssignment)])),
        .apiVersions(KafkaApiVersionsRequest(clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.0.2")),
        .createTopics(
            KafkaCreateTopicsRequest(
                topics: [
                    .init(
                        name: "demo", numPartitions: 3, replicationFactor: 1,
                        assignments: [.init(partitionIndex: 0, brokerIds: [1])],
                        configs: [.init(name: "retention.ms", value: "1000"), .init(name: "x", value: nil)]),
                    .init(name: "dflt", numPartitions: -1, replicationFactor: -1),
                ], timeoutMs: 60_000, validateOnly: true)),
        .deleteTopics(
            KafkaDeleteTopicsRequest(
                topics: [.init(name: "a"), .init(name: nil, topicId: KafkaUUID(bytes: Array(1...16)))],
                timeoutMs: 1000)),
        .initProducerId(
            KafkaInitProducerIdRequest(
                transactionalId: nil, transactionTimeoutMs: 60_000, producerId: 5, producerEpoch: 2)),
        .saslHandshake(KafkaSaslHandshakeRequest(mechanism: "SCRAM-SHA-256")),
        .saslAuthenticate(KafkaSaslAuthenticateRequest(authBytes: Array("n,,n=user,r=abc".utf8))),
        .listGroups(KafkaListGroupsRequest(statesFilter: ["Stable", "Empty"], typesFilter: ["classic"])),
        .describeGroups(KafkaDescribeGroupsRequest(groups: ["g", "h"], includeAuthorizedOperations: true)),
        .deleteGroups(KafkaDeleteGroupsRequest(groupsNames: ["g", "old"])),
        .offsetDelete(
            KafkaOffsetDeleteRequest(
                groupId: "g", topics: [.init(name: "demo", partitions: [0, 2]), .init(name: "x", partitions: [])])),
        .describeConfigs(
            KafkaDescribeConfigsRequest(
                resources: [
                    .init(resourceType: 2, resourceName: "demo", configurationKeys: ["retention.ms"]),
                    .init(resourceType: 4, resourceName: "1", configurationKeys: nil),
                ], includeSynonyms: true, includeDocumentation: true)),
        .alterConfigs(
            KafkaAlterConfigsRequest(
                resources: [
                    .init(
                        resourceType: 2, resourceName: "demo",
                        configs: [.init(name: "retention.ms", value: "1000"), .init(name: "x", value: nil)])
                ], validateOnly: true)),
        .incrementalAlterConfigs(
            KafkaIncrementalAlterConfigsRequest(
                resources: [
                    .init(
                        resourceType: 2, resourceName: "demo",
                        configs: [
                            .init(name: "cleanup.policy", configOperation: 2, value: "compact"),
                            .init(name: "retention.ms", configOperation: 1, value: nil),
                        ])
                ], validateOnly: true)),
        .createPartitions(
            KafkaCreatePartitionsRequest(
                topics: [.init(name: "demo", count: 4, assignments: [[1], [1]]), .init(name: "b", count: 2)],
                timeoutMs: 30_000, validateOnly: true)),
        .deleteRecords(
            KafkaDeleteRecordsRequest(
                topics: [.init(name: "demo", partitions: [.init(partitionIndex: 1, offset: 42)])], timeoutMs: 5_000)),
        .describeCluster(KafkaDescribeClusterRequest(includeClusterAuthorizedOperations: true, endpointType: 2)),
        .describeLogDirs(KafkaDescribeLogDirsRequest(topics: [.init(name: "demo", partitions: [0, 1])])),
        .offsetForLeaderEpoch(
            KafkaOffsetForLeaderEpochRequest(
                replicaId: -1,
                topics: [
                    .init(name: "demo", partitions: [.init(partition: 0, currentLeaderEpoch: 3, leaderEpoch: 0)])
                ])),
        .consumerGroupHeartbeat(
            KafkaConsumerGroupHeartbeatRequest(
                groupId: "g", memberId: "m-1", memberEpoch: 4, instanceId: "i", rackId: "r",
                rebalanceTimeoutMs: 300_000,
                subscribedTopicNames: ["demo", "other"], subscribedTopicRegex: "^d.*", serverAssignor: "uniform",
                topicPartitions: [.init(topicId: 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210, partitions: [0, 2])])),
        .consumerGroupDescribe(
            KafkaConsumerGroupDescribeRequest(groupIds: ["g", "h"], includeAuthorizedOperations: true)),
    ]

    /// A whole frame body: header then the request at `version`.
    static func frame(_ request: KafkaRequest, version: Int16, correlationId: Int32 = 77, clientId: String? = "test")
        -> ByteBuffer
    {
        var buffer = ByteBuffer()
        KafkaRequestHeader(
            apiKey: request.apiKey.rawValue, apiVersion: version, correlationId: correlationId, clientId: clientId
        )
        .encode(into: &buffer)
        request.encodeBody(version: version, into: &buffer)
        return buffer
    }
}

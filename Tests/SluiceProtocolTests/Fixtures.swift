import NIOCore
import SluiceCore

@testable import SluiceProtocol

/// One sample of every request and response, covering the awkward values: null and empty keys and values,
/// zero bytes inside values, headers with null values, empty and null arrays, non-ASCII strings, sentinels.
enum Fixtures {
    static let headers = [
        Header(name: "trace-id", value: Array("abc".utf8)),
        Header(name: "null-valued", value: nil),
        Header(name: "empty", value: []),
        Header(name: "", value: [0, 0, 0]),
    ]

    static let producerRecords = [
        ProducerRecord(
            key: Array("k1".utf8), value: Array("hello".utf8), headers: headers, timestamp: 1_700_000_000_000),
        ProducerRecord(key: nil, value: nil),
        ProducerRecord(key: [], value: []),
        ProducerRecord(key: [0], value: [0, 1, 0, 255, 0], timestamp: 0),
        ProducerRecord(
            key: nil, value: Array(repeating: 0xAB, count: 1000), headers: [Header(name: "ünïcødé ✓", value: nil)]),
    ]

    static let records = [
        Record(
            offset: 0, timestamp: 1_700_000_000_000, key: Array("k1".utf8), value: Array("hello".utf8), headers: headers
        ),
        Record(offset: 1, timestamp: 1, key: nil, value: nil),
        Record(offset: 2, timestamp: 2, key: [], value: []),
        Record(offset: Int64.max, timestamp: Int64.min, key: [0], value: [0, 0, 0]),
    ]

    static let requests: [Request] = [
        .apiVersions(APIVersionsRequest(clientSoftware: "sluice-swift 0.1")),
        .apiVersions(APIVersionsRequest(clientSoftware: "")),
        .metadata(MetadataRequest(topics: nil)),
        .metadata(MetadataRequest(topics: [])),
        .metadata(MetadataRequest(topics: ["orders", "payments.v2"])),
        .createTopic(CreateTopicRequest(name: "orders", partitions: 3)),
        .createTopic(
            CreateTopicRequest(
                name: "orders", partitions: 12,
                configs: [ConfigEntry(.retentionMs, "3600000"), ConfigEntry(.retentionBytes, nil)])),
        .deleteTopic(DeleteTopicRequest(name: "orders")),
        .describeTopic(DescribeTopicRequest(name: "orders")),
        .alterTopic(AlterTopicRequest(name: "orders")),
        .alterTopic(AlterTopicRequest(name: "orders", partitions: 8, configs: [ConfigEntry(.durability, "normal")])),
        .produce(ProduceRequest(acks: .noResponse, timeoutMs: 0, topics: [])),
        .produce(
            ProduceRequest(
                acks: .afterCommit, timeoutMs: 30_000,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partition: 0, records: producerRecords),
                            .init(partition: 1, records: []),
                        ]),
                    .init(name: "empty", partitions: []),
                ])),
        .fetch(FetchRequest(maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, topics: [])),
        .fetch(
            FetchRequest(
                maxWaitMs: 0, minBytes: 0, maxBytes: Int32.max,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partition: 0, offset: 0, partitionMaxBytes: 65536),
                            .init(partition: 2, offset: 1 << 40, partitionMaxBytes: 1),
                        ])
                ])),
        .listOffsets(
            ListOffsetsRequest(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partition: 0, spec: .earliest),
                        .init(partition: 1, spec: .latest),
                        .init(partition: 2, spec: .timestamp(0)),
                        .init(partition: 3, spec: .timestamp(1_700_000_000_000)),
                    ])
            ])),
        .commitOffsets(
            CommitOffsetsRequest(
                group: "billing",
                topics: [
                    .init(
                        name: "orders",
                        partitions: [.init(partition: 0, offset: 42), .init(partition: 1, offset: 7, metadata: "")])
                ])),
        .commitOffsets(
            CommitOffsetsRequest(
                group: "billing", generation: 3, memberID: "member-1",
                topics: [.init(name: "orders", partitions: [.init(partition: 0, offset: 42, metadata: "host-a")])])),
        .fetchOffsets(FetchOffsetsRequest(group: "billing", topics: nil)),
        .fetchOffsets(FetchOffsetsRequest(group: "billing", topics: [])),
        .fetchOffsets(
            FetchOffsetsRequest(
                group: "billing",
                topics: [.init(name: "orders", partitions: [0, 1, 2]), .init(name: "x", partitions: [])])),
        .joinGroup(
            JoinGroupRequest(group: "billing", clientID: "billing-worker", sessionTimeoutMs: 10_000, topics: ["orders"])
        ),
        .joinGroup(
            JoinGroupRequest(
                group: "billing", memberID: "billing-worker-1", clientID: "", sessionTimeoutMs: -1,
                topics: ["orders", "payments.v2"])),
        .joinGroup(JoinGroupRequest(group: "", clientID: "ünïcødé ✓", sessionTimeoutMs: 0, topics: [])),
        .heartbeat(HeartbeatRequest(group: "billing", memberID: "billing-worker-1", generation: 0, owned: [])),
        .heartbeat(
            HeartbeatRequest(
                group: "billing", memberID: "billing-worker-1", generation: Int32.max,
                owned: [.init(name: "orders", partitions: [0, 2]), .init(name: "payments.v2", partitions: [])])),
        .heartbeat(
            HeartbeatRequest(
                group: "billing", memberID: "billing-worker-1", generation: 3,
                owned: [.init(name: "orders", partitions: [1])], maxWaitMs: 3_000)),
        .heartbeat(HeartbeatRequest(group: "billing", memberID: "m", generation: 0, owned: [], maxWaitMs: 0)),
        .heartbeat(HeartbeatRequest(group: "", memberID: "", generation: -1, owned: [], maxWaitMs: Int32.min)),
        .leaveGroup(LeaveGroupRequest(group: "billing", memberID: "billing-worker-1")),
        .leaveGroup(LeaveGroupRequest(group: "", memberID: "")),
        .describeGroup(DescribeGroupRequest(group: "billing")),
        .listGroups(ListGroupsRequest()),
        .deleteGroup(DeleteGroupRequest(group: "billing")),
        .stats(StatsRequest()),
        .resetOffsets(ResetOffsetsRequest(group: "billing", topic: "orders", mode: .earliest)),
        .resetOffsets(ResetOffsetsRequest(group: "billing", topic: "orders", mode: .latest)),
        .resetOffsets(ResetOffsetsRequest(group: "billing", topic: "orders", mode: .offset(0))),
        .resetOffsets(ResetOffsetsRequest(group: "billing", topic: "orders", mode: .offset(Int64.max))),
        .resetOffsets(ResetOffsetsRequest(group: "billing", topic: "orders", mode: .timestamp(1_700_000_000_000))),
        .initProducerID(InitProducerIDRequest()),
        .backup(BackupRequest(directory: "/var/backups/sluice/2026-12-03")),
        .backup(BackupRequest(directory: "")),
        .deleteRecords(DeleteRecordsRequest(topic: "orders", partition: 2, beforeOffset: 1_000)),
        .deleteRecords(DeleteRecordsRequest(topic: "orders", partition: 0, beforeOffset: -1)),
        .produce(
            ProduceRequest(
                acks: .afterCommit, timeoutMs: 30_000,
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(
                                partition: 0, records: producerRecords,
                                sequence: BatchSequence(producerID: 0, epoch: 0, baseSequence: 0)),
                            .init(partition: 1, records: []),
                            .init(
                                partition: 2, records: producerRecords,
                                sequence: BatchSequence(
                                    producerID: Int64.max, epoch: Int16.max,
                                    baseSequence: Int32.max)),
                        ])
                ])),
    ]

    static let responses: [Response] = [
        .apiVersions(APIVersionsResponse(serverSoftware: "sluice 0.1")),
        .apiVersions(APIVersionsResponse(apis: [], serverSoftware: "")),
        .metadata(MetadataResponse(topics: [])),
        .metadata(
            MetadataResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        PartitionOffsets(partition: 0, logStartOffset: 0, nextOffset: 10),
                        PartitionOffsets(partition: 1, logStartOffset: 5, nextOffset: 5),
                    ]),
                .init(name: "missing", error: .unknownTopic("missing"), partitions: []),
            ])),
        .createTopic(CreateTopicResponse()),
        .deleteTopic(DeleteTopicResponse()),
        .describeTopic(
            DescribeTopicResponse(
                name: "orders", partitionCount: 2, configs: TopicConfig(partitions: 2).configEntries,
                partitions: [
                    .init(partition: 0, logStartOffset: 0, nextOffset: 100, sizeBytes: 4096),
                    .init(partition: 1, logStartOffset: 3, nextOffset: 3, sizeBytes: nil),
                ])),
        .alterTopic(AlterTopicResponse()),
        .produce(ProduceResponse(topics: [])),
        .produce(
            ProduceResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partition: 0, baseOffset: 100, logAppendTime: 1_700_000_000_000),
                        .init(
                            partition: 9, error: SluiceError(.unknownPartition, "no partition 9"), baseOffset: -1,
                            logAppendTime: -1),
                    ])
            ])),
        .fetch(FetchResponse(topics: [])),
        .fetch(
            FetchResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partition: 0, logStartOffset: 0, highWatermark: Int64.max, records: records),
                        .init(partition: 1, logStartOffset: 0, highWatermark: 0, records: []),
                        .init(
                            partition: 2, error: SluiceError(.offsetOutOfRange, "offset 99 is past the end"),
                            logStartOffset: 0, highWatermark: 10, records: []),
                    ])
            ])),
        .listOffsets(
            ListOffsetsResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partition: 0, offset: 5, timestamp: 1_700_000_000_000),
                        .init(partition: 1, offset: 10, timestamp: -1),
                        .init(partition: 2, error: .unknownPartition("orders", 2, count: 2), offset: -1, timestamp: -1),
                    ])
            ])),
        .commitOffsets(
            CommitOffsetsResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partition: 0),
                        .init(partition: 1, error: SluiceError(.staleGeneration, "generation 2 is stale")),
                    ])
            ])),
        .fetchOffsets(FetchOffsetsResponse(topics: [])),
        .fetchOffsets(
            FetchOffsetsResponse(topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partition: 0, offset: 42, metadata: "host-a"),
                        .init(partition: 1, offset: nil),
                        .init(partition: 2, offset: nil, error: .unknownPartition("orders", 2, count: 2)),
                    ])
            ])),
        .joinGroup(
            MemberAssignment(memberID: "m-1", generation: 1, heartbeatIntervalMs: 3333, granted: [], pending: [])),
        .joinGroup(
            MemberAssignment(
                memberID: "billing-worker-1", generation: 7, heartbeatIntervalMs: 100,
                granted: [.init(name: "orders", partitions: [0, 1]), .init(name: "payments.v2", partitions: [3])],
                pending: [.init(name: "orders", partitions: [2])])),
        .heartbeat(MemberAssignment(memberID: "", generation: 0, heartbeatIntervalMs: 0, granted: [], pending: [])),
        .heartbeat(
            MemberAssignment(
                memberID: "billing-worker-1", generation: Int32.max, heartbeatIntervalMs: 100_000,
                granted: [.init(name: "orders", partitions: [])],
                pending: [.init(name: "orders", partitions: [0, 1, 2, 3]), .init(name: "x", partitions: [])])),
        .leaveGroup(LeaveGroupResponse()),
        .describeGroup(DescribeGroupResponse(group: "idle", state: .empty, generation: 0, members: [], topics: [])),
        .describeGroup(
            DescribeGroupResponse(
                group: "billing", state: .rebalancing, generation: 4,
                members: [
                    .init(
                        memberID: "billing-worker-1", clientID: "billing-worker", topics: ["orders", "payments.v2"],
                        owned: [
                            .init(name: "orders", partitions: [0, 1]), .init(name: "payments.v2", partitions: [0]),
                        ],
                        pending: [.init(name: "orders", partitions: [2])]),
                    .init(memberID: "m-2", clientID: "", topics: [], owned: [], pending: []),
                ],
                topics: [
                    .init(
                        name: "orders",
                        partitions: [
                            .init(partition: 0, owner: "billing-worker-1", committedOffset: 42, endOffset: 50, lag: 8),
                            .init(partition: 1, owner: nil, committedOffset: nil, endOffset: 0, lag: nil),
                            .init(partition: 2, owner: "", committedOffset: 0, endOffset: Int64.max, lag: Int64.max),
                        ]),
                    .init(name: "payments.v2", partitions: []),
                ])),
        .describeGroup(DescribeGroupResponse(group: "gone", state: .dead, generation: 9, members: [], topics: [])),
        .listGroups(ListGroupsResponse(groups: [])),
        .listGroups(
            ListGroupsResponse(groups: [
                .init(name: "billing", state: .stable, memberCount: 3),
                .init(name: "idle", state: .empty, memberCount: 0),
                .init(name: "moving", state: .rebalancing, memberCount: 2),
                .init(name: "", state: .dead, memberCount: 0),
            ])),
        .deleteGroup(DeleteGroupResponse()),
        .stats(StatsResponse(text: "")),
        .stats(StatsResponse(text: "sluice_connections 1.0\n")),
        .resetOffsets(ResetOffsetsResponse(partitions: [])),
        .resetOffsets(
            ResetOffsetsResponse(partitions: [
                .init(partition: 0, offset: 0), .init(partition: 1, offset: 1_000),
                .init(partition: 2, offset: Int64.max),
            ])),
        .initProducerID(InitProducerIDResponse(producerID: 0, epoch: 0)),
        .initProducerID(InitProducerIDResponse(producerID: Int64.max, epoch: Int16.max)),
        .backup(BackupResponse(createdMs: 1_700_000_000_000, catalogBytes: 32_768, topics: [])),
        .deleteRecords(DeleteRecordsResponse(logStartOffset: 1_000)),
        .backup(
            BackupResponse(
                createdMs: 0, catalogBytes: 0,
                topics: [
                    .init(name: "orders", partitions: 3, records: 1_000, bytes: 1 << 20),
                    .init(name: "a", partitions: Int32.max, records: Int64.max, bytes: Int64.max),
                ])),
    ]
}

extension ByteBuffer {
    /// A buffer holding the bytes that `hex` spells; whitespace is ignored, and so is everything from `#` to the
    /// end of a line.
    init(hex: String) {
        let digits = hex.split(separator: "\n").map { $0.prefix { $0 != "#" } }.joined().filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes: bytes)
    }

    var hexDump: String { readableBytesView.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ") }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

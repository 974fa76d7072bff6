import NIOCore
import Testing

@testable import SluiceKafka

/// Golden bytes of the group, coordinator, topic-administration and producer-id APIs at the versions whose layout
/// differs from their neighbours', written out by hand from Apache Kafka 3.9's message schemas: flexible versions
/// (compact strings, arrays and bytes as N+1, a tagged-field section after every structure, request header v2 and
/// response header v1), the batched forms (FindCoordinator v4, OffsetFetch v8, LeaveGroup v3) and the old ones
/// (OffsetCommit v0–1, CreateTopics v0, DeleteTopics v0).
@Suite struct GroupAndAdminVersionsGoldenTests {
    /// The request header for `key` at `version` with correlation id 1 and client id "c"; flexible versions end it
    /// with an empty tagged-field section.
    func header(_ key: KafkaAPIKey, _ version: Int16) -> [UInt8] {
        let fixed: [UInt8] = [0, UInt8(key.rawValue), 0, UInt8(version), 0, 0, 0, 1, 0, 1, 0x63]
        return KafkaFlexibleVersions.isFlexible(apiKey: key.rawValue, version: version) ? fixed + [0] : fixed
    }

    /// Decodes `body` behind its header, expects `request`, and expects `request` to encode back to `body`.
    func expectRequest(
        _ key: KafkaAPIKey, _ version: Int16, _ body: [UInt8], _ request: KafkaRequest,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let frame = ByteBuffer(bytes: header(key, version) + body)
        let decoded = try KafkaRequest.decode(frame: frame)
        #expect(decoded.header.apiVersion == version, sourceLocation: sourceLocation)
        #expect(decoded.request == request, sourceLocation: sourceLocation)
        var encoded = ByteBuffer()
        request.encodeBody(version: version, into: &encoded)
        #expect(Array(encoded.readableBytesView) == body, sourceLocation: sourceLocation)
    }

    func bytes(_ response: some KafkaResponse, version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        response.encode(version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    static let offset10: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 10]
    static let none: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]

    // MARK: - Headers

    @Test func flexibleVersionsUseRequestHeaderV2AndResponseHeaderV1ButApiVersionsKeepsV0() {
        for (key, first) in [
            (KafkaAPIKey.offsetCommit, Int16(8)), (.offsetFetch, 6), (.findCoordinator, 3), (.joinGroup, 6),
            (.heartbeat, 4), (.leaveGroup, 4), (.syncGroup, 4), (.createTopics, 5), (.deleteTopics, 4),
            (.initProducerId, 2), (.saslAuthenticate, 2),
        ] {
            #expect(!KafkaRequestHeader.usesHeaderV2(apiKey: key.rawValue, apiVersion: first - 1), "\(key)")
            #expect(KafkaRequestHeader.usesHeaderV2(apiKey: key.rawValue, apiVersion: first), "\(key)")
            #expect(KafkaResponseFrame.usesHeaderV1(apiKey: key.rawValue, apiVersion: first), "\(key)")
            #expect(!KafkaResponseFrame.usesHeaderV1(apiKey: key.rawValue, apiVersion: first - 1), "\(key)")
        }
        #expect(KafkaRequestHeader.usesHeaderV2(apiKey: 18, apiVersion: 4))
        #expect(!KafkaResponseFrame.usesHeaderV1(apiKey: 18, apiVersion: 4))
        #expect(!KafkaRequestHeader.usesHeaderV2(apiKey: 17, apiVersion: 1))
    }

    @Test func heartbeatV4FrameHasResponseHeaderV1() {
        var buffer = ByteBuffer()
        KafkaResponseFrame.write(
            KafkaHeartbeatResponse(errorCode: .rebalanceInProgress), version: 4, correlationId: 5,
            headerV1: KafkaResponseFrame.usesHeaderV1(apiKey: 12, apiVersion: 4), into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 12, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 27, 0])
    }

    @Test func apiVersionsV4IsV3() throws {
        try expectRequest(
            .apiVersions, 4, [0x02, 0x6B, 0x02, 0x31, 0x00],
            .apiVersions(KafkaApiVersionsRequest(clientSoftwareName: "k", clientSoftwareVersion: "1")))
    }

    // MARK: - OffsetCommit and OffsetFetch

    @Test func offsetCommitV0HasNoGenerationAndV1ACommitTimestamp() throws {
        let v0: [UInt8] =
            [0, 1, 0x67] + [0, 0, 0, 1, 0, 1, 0x74] + [0, 0, 0, 1, 0, 0, 0, 2] + Self.offset10 + [0, 1, 0x6D]
        try expectRequest(
            .offsetCommit, 0, v0,
            .offsetCommit(
                KafkaOffsetCommitRequest(
                    groupId: "g", generationId: -1, memberId: "",
                    topics: [
                        .init(
                            name: "t",
                            partitions: [.init(partitionIndex: 2, committedOffset: 10, committedMetadata: "m")])
                    ])))
        let v1: [UInt8] =
            [0, 1, 0x67, 0, 0, 0, 3, 0, 1, 0x6D] + [0, 0, 0, 1, 0, 1, 0x74] + [0, 0, 0, 1, 0, 0, 0, 0]
            + Self.offset10 + [0, 0, 0, 0, 0, 0, 0, 123] + [0, 0]
        try expectRequest(
            .offsetCommit, 1, v1,
            .offsetCommit(
                KafkaOffsetCommitRequest(
                    groupId: "g", generationId: 3, memberId: "m",
                    topics: [
                        .init(
                            name: "t",
                            partitions: [
                                .init(
                                    partitionIndex: 0, committedOffset: 10, commitTimestamp: 123, committedMetadata: "")
                            ])
                    ])))
    }

    @Test func offsetCommitV8IsFlexible() throws {
        let body: [UInt8] =
            [0x02, 0x67, 0, 0, 0, 3, 0x02, 0x6D, 0x00] + [0x02, 0x02, 0x74, 0x02, 0, 0, 0, 0] + Self.offset10
            + Self.none + [0x00, 0x00] + [0x00] + [0x00]
        try expectRequest(
            .offsetCommit, 8, body,
            .offsetCommit(
                KafkaOffsetCommitRequest(
                    groupId: "g", generationId: 3, memberId: "m",
                    topics: [
                        .init(
                            name: "t",
                            partitions: [.init(partitionIndex: 0, committedOffset: 10, committedMetadata: nil)])
                    ])))
        let response = KafkaOffsetCommitResponse(
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: .rebalanceInProgress)])])
        #expect(bytes(response, version: 8) == [0, 0, 0, 0, 0x02, 0x02, 0x74, 0x02, 0, 0, 0, 1, 0, 27, 0, 0, 0])
        #expect(bytes(response, version: 2) == [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 1, 0, 27])
    }

    @Test func offsetFetchV8AsksForSeveralGroups() throws {
        let body: [UInt8] =
            [0x03] + [0x02, 0x61, 0x00, 0x00]
            + [0x02, 0x62, 0x02, 0x02, 0x74, 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x00] + [0x01, 0x00]
        try expectRequest(
            .offsetFetch, 8, body,
            .offsetFetch(
                KafkaOffsetFetchRequest(
                    groups: [
                        .init(groupId: "a", topics: nil),
                        .init(groupId: "b", topics: [.init(name: "t", partitionIndexes: [0, 1])]),
                    ], requireStable: true)))
        let response = KafkaOffsetFetchResponse(groups: [
            .init(
                groupId: "a",
                topics: [
                    .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 10, metadata: "")])
                ]),
            .init(groupId: "b", topics: [], errorCode: KafkaErrorCode(30)),
        ])
        #expect(
            bytes(response, version: 8)
                == [0, 0, 0, 0, 0x03] + [0x02, 0x61, 0x02, 0x02, 0x74, 0x02, 0, 0, 0, 0] + Self.offset10 + Self.none
                + [0x01, 0, 0, 0x00, 0x00, 0, 0, 0x00] + [0x02, 0x62, 0x01, 0, 30, 0x00] + [0x00])
        // Up to v7 the first group is the answer, its id unsent, its error after the topics from v2.
        #expect(
            bytes(response, version: 6)
                == [0, 0, 0, 0, 0x02, 0x02, 0x74, 0x02, 0, 0, 0, 0] + Self.offset10 + Self.none
                + [0x01, 0, 0, 0x00, 0x00, 0, 0, 0x00])
        #expect(
            bytes(response, version: 1) == [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0] + Self.offset10 + [
                0, 0, 0, 0,
            ])
    }

    @Test func offsetFetchV9AddsMemberAndEpoch() throws {
        let body: [UInt8] = [0x02, 0x02, 0x61, 0x02, 0x6D, 0, 0, 0, 7, 0x00, 0x00, 0x00, 0x00]
        try expectRequest(
            .offsetFetch, 9, body,
            .offsetFetch(
                KafkaOffsetFetchRequest(groups: [.init(groupId: "a", memberId: "m", memberEpoch: 7, topics: nil)])))
    }

    // MARK: - FindCoordinator

    @Test func findCoordinatorV4BatchesKeys() throws {
        try expectRequest(
            .findCoordinator, 4, [0x00, 0x03, 0x02, 0x67, 0x02, 0x68, 0x00],
            .findCoordinator(KafkaFindCoordinatorRequest(keys: ["g", "h"], keyType: 0)))
        try expectRequest(
            .findCoordinator, 3, [0x02, 0x67, 0x00, 0x00], .findCoordinator(KafkaFindCoordinatorRequest(key: "g")))
        let response = KafkaFindCoordinatorResponse(coordinators: [
            .init(key: "g", nodeId: 1, host: "h", port: 9092),
            .init(
                key: "x", nodeId: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable, errorMessage: "no"),
        ])
        #expect(
            bytes(response, version: 4)
                == [0, 0, 0, 0, 0x03] + [0x02, 0x67, 0, 0, 0, 1, 0x02, 0x68, 0, 0, 0x23, 0x84, 0, 0, 0x00, 0x00]
                + [0x02, 0x78] + Self.none + [0x01] + Self.none + [0, 15, 0x03, 0x6E, 0x6F, 0x00] + [0x00])
        // v3: the first coordinator, flexible; v0: no throttle, no message.
        #expect(
            bytes(response, version: 3) == [0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0, 1, 0x02, 0x68, 0, 0, 0x23, 0x84, 0x00])
        #expect(bytes(response, version: 0) == [0, 0, 0, 0, 0, 1, 0, 1, 0x68, 0, 0, 0x23, 0x84])
    }

    // MARK: - JoinGroup, SyncGroup, LeaveGroup

    @Test func joinGroupV7AndV9Responses() {
        let failed = KafkaJoinGroupResponse(
            errorCode: .unknownMemberId, generationId: -1, protocolName: nil, leader: "", memberId: "m")
        #expect(
            bytes(failed, version: 7) == [0, 0, 0, 0, 0, 25] + Self.none + [0x00, 0x00, 0x01, 0x02, 0x6D, 0x01, 0x00])
        // Before v7 a protocol name is never null: "".
        #expect(bytes(failed, version: 6) == [0, 0, 0, 0, 0, 25] + Self.none + [0x01, 0x01, 0x02, 0x6D, 0x01, 0x00])
        let leader = KafkaJoinGroupResponse(
            generationId: 1, protocolType: "consumer", protocolName: "range", leader: "m", memberId: "m",
            members: [.init(memberId: "m", metadata: [1, 2])])
        #expect(
            bytes(leader, version: 9)
                == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] + [0x09] + Array("consumer".utf8) + [0x06] + Array("range".utf8)
                + [0x02, 0x6D, 0x00, 0x02, 0x6D] + [0x02, 0x02, 0x6D, 0x00, 0x03, 1, 2, 0x00] + [0x00])
    }

    @Test func joinGroupV8CarriesAReason() throws {
        let body: [UInt8] =
            [0x02, 0x67, 0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 0x01, 0x00, 0x09] + Array("consumer".utf8)
            + [0x02, 0x06] + Array("range".utf8) + [0x01, 0x00] + [0x03, 0x68, 0x69] + [0x00]
        try expectRequest(
            .joinGroup, 8, body,
            .joinGroup(
                KafkaJoinGroupRequest(
                    groupId: "g", sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: "",
                    protocolType: "consumer", protocols: [.init(name: "range", metadata: [])], reason: "hi")))
    }

    @Test func syncGroupV5NamesTheProtocol() throws {
        let response = KafkaSyncGroupResponse(
            protocolType: "consumer", protocolName: "range", assignment: KafkaConsumerProtocol.emptyAssignment)
        #expect(
            bytes(response, version: 5)
                == [0, 0, 0, 0, 0, 0, 0x09] + Array("consumer".utf8) + [0x06] + Array("range".utf8) + [0x0B]
                + KafkaConsumerProtocol.emptyAssignment + [0x00])
        #expect(bytes(response, version: 3) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 10] + KafkaConsumerProtocol.emptyAssignment)
    }

    @Test func leaveGroupV3BatchesMembers() throws {
        let v3: [UInt8] = [0, 1, 0x67, 0, 0, 0, 2, 0, 1, 0x61, 0xFF, 0xFF, 0, 1, 0x62, 0, 1, 0x69]
        try expectRequest(
            .leaveGroup, 3, v3,
            .leaveGroup(
                KafkaLeaveGroupRequest(
                    groupId: "g", members: [.init(memberId: "a"), .init(memberId: "b", groupInstanceId: "i")])))
        let v5: [UInt8] = [0x02, 0x67, 0x02, 0x02, 0x61, 0x00, 0x03, 0x62, 0x79, 0x00, 0x00]
        try expectRequest(
            .leaveGroup, 5, v5,
            .leaveGroup(KafkaLeaveGroupRequest(groupId: "g", members: [.init(memberId: "a", reason: "by")])))
        let response = KafkaLeaveGroupResponse(
            errorCode: .none, members: [.init(memberId: "a", errorCode: .unknownMemberId)])
        #expect(bytes(response, version: 4) == [0, 0, 0, 0, 0, 0, 0x02, 0x02, 0x61, 0x00, 0, 25, 0x00, 0x00])
        #expect(bytes(KafkaLeaveGroupResponse(errorCode: .unknownMemberId), version: 0) == [0, 25])
    }

    // MARK: - CreateTopics, DeleteTopics, InitProducerId

    @Test func createTopicsV0HasNoValidateOnly() throws {
        let body: [UInt8] = [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xEA, 0x60]
        try expectRequest(
            .createTopics, 0, body,
            .createTopics(
                KafkaCreateTopicsRequest(
                    topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)], timeoutMs: 60_000)))
        let response = KafkaCreateTopicsResponse(topics: [.init(name: "t", errorCode: .topicAlreadyExists)])
        #expect(bytes(response, version: 0) == [0, 0, 0, 1, 0, 1, 0x74, 0, 36])
    }

    @Test func createTopicsV5AndV7Responses() {
        let response = KafkaCreateTopicsResponse(topics: [
            .init(name: "t", numPartitions: 3, replicationFactor: 1),
            .init(name: "u", errorCode: .invalidPartitions, errorMessage: "x"),
        ])
        let created: [UInt8] = [0x00, 0, 0, 0, 3, 0, 1, 0x01, 0x00]
        let refused: [UInt8] = [0, 37, 0x02, 0x78] + Self.none + [0xFF, 0xFF, 0x00, 0x00]
        #expect(
            bytes(response, version: 5)
                == [0, 0, 0, 0, 0x03] + [0x02, 0x74, 0, 0] + created + [0x02, 0x75] + refused + [0x00])
        let zeroID = [UInt8](repeating: 0, count: 16)
        #expect(
            bytes(response, version: 7)
                == [0, 0, 0, 0, 0x03] + [0x02, 0x74] + zeroID + [0, 0] + created + [0x02, 0x75] + zeroID + refused
                + [0x00])
    }

    @Test func deleteTopicsV6NamesTopicsOrIds() throws {
        let id = KafkaUUID(bytes: Array(1...16))
        let body: [UInt8] =
            [0x03, 0x02, 0x61] + [UInt8](repeating: 0, count: 16) + [0x00, 0x00] + Array(1...16) + [0x00]
            + [0, 0, 0x03, 0xE8, 0x00]
        try expectRequest(
            .deleteTopics, 6, body,
            .deleteTopics(
                KafkaDeleteTopicsRequest(topics: [.init(name: "a"), .init(name: nil, topicId: id)], timeoutMs: 1000)))
        let response = KafkaDeleteTopicsResponse(topics: [
            .init(name: "a"), .init(name: nil, errorCode: .unknownTopicId, errorMessage: "m"),
        ])
        let zeroID = [UInt8](repeating: 0, count: 16)
        #expect(
            bytes(response, version: 6)
                == [0, 0, 0, 0, 0x03, 0x02, 0x61] + zeroID + [0, 0, 0x00, 0x00] + [0x00] + zeroID
                + [0, 100, 0x02, 0x6D, 0x00] + [0x00])
        #expect(bytes(response, version: 0) == [0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0, 0, 0, 100])
        #expect(bytes(response, version: 4) == [0, 0, 0, 0, 0x03, 0x02, 0x61, 0, 0, 0x00, 0x01, 0, 100, 0x00, 0x00])
    }

    @Test func initProducerIdV3CarriesTheCurrentProducer() throws {
        let body: [UInt8] = [0x00, 0, 0, 0xEA, 0x60, 0, 0, 0, 0, 0, 0, 0, 42, 0, 3, 0x00]
        try expectRequest(
            .initProducerId, 4, body,
            .initProducerId(
                KafkaInitProducerIdRequest(
                    transactionalId: nil, transactionTimeoutMs: 60_000, producerId: 42, producerEpoch: 3)))
        let response = KafkaInitProducerIdResponse(producerId: 42, producerEpoch: 0)
        #expect(bytes(response, version: 2) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0x00])
        #expect(bytes(response, version: 1) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0])
    }
}

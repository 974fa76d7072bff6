import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

/// The share-group messages (KIP-932) byte for byte, as librdkafka 2.16 writes and reads them.
@Suite struct ShareGroupMessageTests {
    static let idBytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]

    func body(_ response: some KafkaResponse, version: Int16 = 1) -> [UInt8] {
        var buffer = ByteBuffer()
        response.encode(version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func shareAPIsAreFlexibleWithHeaderV2AndResponseHeaderV1() {
        for key: Int16 in [76, 77, 78, 79] {
            #expect(KafkaRequestHeader.usesHeaderV2(apiKey: key, apiVersion: 1))
            #expect(KafkaResponseFrame.usesHeaderV1(apiKey: key, apiVersion: 1))
            #expect(KafkaAPIVersions.range(of: key) == KafkaAPIVersionRange(apiKey: key, minVersion: 1, maxVersion: 1))
        }
        #expect(!KafkaResponseFrame.usesHeaderV1(apiKey: KafkaAPIKey.apiVersions.rawValue, apiVersion: 3))
    }

    /// A first ShareFetch as librdkafka sends it: session epoch 0, one partition added with no acknowledgements.
    @Test func shareFetchRequestGoldenBytes() throws {
        let frame = ByteBuffer(
            bytes: [0x00, 0x4E, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x07]
                + Array("rdkafka".utf8) + [0x00]  // header v2: key 78, v1, correlation 5, client id, tags
                + [0x03] + Array("sg".utf8) + [0x02] + Array("m".utf8)  // group id, member id (compact)
                + [0, 0, 0, 0]  // share session epoch
                + [0, 0, 0x01, 0xF4] + [0, 0, 0, 1] + [0x03, 0x20, 0, 0]  // max wait, min bytes, max bytes
                + [0, 0, 0x01, 0xF4] + [0, 0, 0x01, 0xF4]  // max records, batch size
                + [0x02] + Self.idBytes + [0x02, 0, 0, 0, 0, 0x01, 0x00, 0x00]  // one topic, partition 0, no acks
                + [0x01, 0x00])  // no forgotten topics, tags
        let (header, request) = try KafkaRequest.decode(frame: frame)
        #expect(header == KafkaRequestHeader(apiKey: 78, apiVersion: 1, correlationId: 5, clientId: "rdkafka"))
        #expect(
            request
                == .shareFetch(
                    KafkaShareFetchRequest(
                        groupId: "sg", memberId: "m", shareSessionEpoch: 0, maxWaitMs: 500, minBytes: 1,
                        maxBytes: 52_428_800, maxRecords: 500, batchSize: 500,
                        topics: [.init(topicId: RequestSamples.topicA, partitions: [.init(partitionIndex: 0)])])))
    }

    @Test func acknowledgementBatchesCarryOneTypeOrOnePerOffset() throws {
        var buffer = ByteBuffer(
            bytes: [0x03] + Array("sg".utf8) + [0x02] + Array("m".utf8) + [0, 0, 0, 4]
                + [0x02] + Self.idBytes + [0x02, 0, 0, 0, 3]
                + [0x03]  // two batches
                + [0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 12, 0x02, 0x01, 0x00]  // 10...12 accept
                + [0, 0, 0, 0, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 14, 0x03, 0x02, 0x03, 0x00]  // 13 release, 14 reject
                + [0x00, 0x00, 0x00])
        let request = try KafkaShareAcknowledgeRequest.decode(version: 1, from: &buffer)
        #expect(buffer.readableBytes == 0)
        #expect(request.shareSessionEpoch == 4)
        #expect(
            request.topics
                == [
                    .init(
                        topicId: RequestSamples.topicA,
                        partitions: [
                            .init(
                                partitionIndex: 3,
                                acknowledgementBatches: [
                                    .init(firstOffset: 10, lastOffset: 12, acknowledgeTypes: [1]),
                                    .init(firstOffset: 13, lastOffset: 14, acknowledgeTypes: [2, 3]),
                                ])
                        ])
                ])
    }

    @Test func heartbeatRequestWithNullSubscription() throws {
        var buffer = ByteBuffer(bytes: [0x03] + Array("sg".utf8) + [0x02] + Array("m".utf8) + [0, 0, 0, 2, 0, 0, 0])
        let request = try KafkaShareGroupHeartbeatRequest.decode(version: 1, from: &buffer)
        #expect(request == KafkaShareGroupHeartbeatRequest(groupId: "sg", memberId: "m", memberEpoch: 2))
    }

    @Test func heartbeatResponseGoldenBytes() {
        let response = KafkaShareGroupHeartbeatResponse(
            memberId: "m", memberEpoch: 1, heartbeatIntervalMs: 5000,
            assignment: [.init(topicId: RequestSamples.topicA, partitions: [0])])
        #expect(
            body(response)
                == [0, 0, 0, 0, 0, 0, 0x00] + [0x02] + Array("m".utf8) + [0, 0, 0, 1, 0, 0, 0x13, 0x88]
                + [0x01, 0x02] + Self.idBytes + [0x02, 0, 0, 0, 0, 0x00] + [0x00] + [0x00])
        let none = KafkaShareGroupHeartbeatResponse(errorCode: .unknownMemberId, errorMessage: "gone")
        #expect(
            body(none) == [0, 0, 0, 0, 0, 25, 0x05] + Array("gone".utf8) + [0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x00])
    }

    @Test func shareFetchResponseGoldenBytes() {
        let response = KafkaShareFetchResponse(
            acquisitionLockTimeoutMs: 30_000,
            responses: [
                .init(
                    topicId: RequestSamples.topicA,
                    partitions: [
                        .init(
                            partitionIndex: 0, records: ByteBuffer(bytes: [0xDE, 0xAD, 0xBE]),
                            acquiredRecords: [.init(firstOffset: 0, lastOffset: 2, deliveryCount: 1)])
                    ])
            ])
        let expected: [UInt8] =
            [0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0x75, 0x30]  // throttle, error, message, lock timeout
            + [0x02] + Self.idBytes + [0x02]  // one topic, one partition
            + [0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0x00]  // index, error, message, acknowledge error, message
            + [0, 0, 0, 1, 0, 0, 0, 0, 0x00]  // current leader (node 1, epoch 0), its tags
            + [0x04, 0xDE, 0xAD, 0xBE]  // records, compact bytes
            + [0x02] + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 1, 0x00]  // acquired 0...2, count 1
            + [0x00, 0x00]  // partition's and topic's tags
            + [0x01, 0x00]  // no node endpoints, tags
        #expect(body(response) == expected)
    }

    @Test func shareAcknowledgeResponseGoldenBytes() {
        let response = KafkaShareAcknowledgeResponse(responses: [
            .init(
                topicId: RequestSamples.topicA, partitions: [.init(partitionIndex: 2, errorCode: .invalidRecordState)])
        ])
        #expect(
            body(response)
                == [0, 0, 0, 0, 0, 0, 0x00, 0x02] + Self.idBytes
                + [0x02, 0, 0, 0, 2, 0, 121, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x01, 0x00])
    }

    @Test func shareGroupDescribeResponseGoldenBytes() {
        let response = KafkaShareGroupDescribeResponse(groups: [
            .init(
                groupId: "sg", groupState: "Stable", groupEpoch: 2, assignmentEpoch: 2,
                members: [
                    .init(
                        memberId: "m", memberEpoch: 2, clientId: "c", clientHost: "/127.0.0.1",
                        subscribedTopicNames: ["t"],
                        assignment: [.init(topicId: RequestSamples.topicA, topicName: "t", partitions: [0])])
                ])
        ])
        let expected: [UInt8] =
            [0, 0, 0, 0, 0x02, 0, 0, 0x00, 0x03] + Array("sg".utf8) + [0x07] + Array("Stable".utf8)
            + [0, 0, 0, 2, 0, 0, 0, 2, 0x07] + Array("simple".utf8)
            + [0x02, 0x02] + Array("m".utf8) + [0x00, 0, 0, 0, 2, 0x02] + Array("c".utf8) + [0x0B]
            + Array("/127.0.0.1".utf8) + [0x02, 0x02] + Array("t".utf8)
            + [0x02] + Self.idBytes + [0x02] + Array("t".utf8) + [0x02, 0, 0, 0, 0, 0x00] + [0x00, 0x00]
            + [0x80, 0, 0, 0, 0x00, 0x00]
        #expect(body(response) == expected)
    }

    @Test func responseFrameOfAShareAPIHasHeaderV1() {
        var buffer = ByteBuffer()
        KafkaResponseFrame.write(
            KafkaShareAcknowledgeResponse(), version: 1, correlationId: 9,
            headerV1: KafkaResponseFrame.usesHeaderV1(apiKey: 79, apiVersion: 1), into: &buffer)
        #expect(
            Array(buffer.readableBytesView) == [
                0, 0, 0, 15, 0, 0, 0, 9, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x01, 0x00,
            ])
    }

    @Test func hostileCountsAreRefusedBeforeAnyAllocation() {
        var buffer = ByteBuffer(
            bytes: [0x03] + Array("sg".utf8) + [0x02] + Array("m".utf8) + [0, 0, 0, 1]
                + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: KafkaDecodeError.self) { try KafkaShareFetchRequest.decode(version: 1, from: &buffer) }
    }

    /// librdkafka's Metadata v12 for every topic: its four-byte topic-count placeholder (a null compact array and
    /// three zero bytes), then allow_auto_topic_creation, include_topic_authorized_operations and the tags.
    @Test func librdkafkaMetadataForEveryTopicHasACountPlaceholder() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 0x01, 0x00, 0x00])
        let request = try KafkaMetadataRequest.decode(version: 12, from: &buffer)
        #expect(buffer.readableBytes == 0)
        #expect(request == KafkaMetadataRequest(topics: nil, allowAutoTopicCreation: true))
        var v10 = ByteBuffer(bytes: [0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00])
        #expect(
            try KafkaMetadataRequest.decode(version: 10, from: &v10)
                == KafkaMetadataRequest(topics: nil, allowAutoTopicCreation: false))
        #expect(v10.readableBytes == 0)
    }

}

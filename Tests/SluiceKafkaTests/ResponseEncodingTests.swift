import NIOCore
import Testing

@testable import SluiceKafka

@Suite struct ResponseEncodingTests {
    func bytes(_ response: some KafkaResponse, version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        response.encode(version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func framePrefixesTheSizeAndTheCorrelationId() {
        var buffer = ByteBuffer(bytes: [0xAA])
        KafkaResponseFrame.write(
            KafkaHeartbeatResponse(errorCode: .rebalanceInProgress), version: 3, correlationId: 5, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0xAA, 0, 0, 0, 10, 0, 0, 0, 5, 0, 0, 0, 0, 0, 27])
    }

    @Test func apiVersionsV0FallbackCarriesError35AndTheTable() {
        let body = bytes(KafkaApiVersionsResponse.unsupportedVersion, version: 0)
        #expect(body.count == 2 + 4 + 6 * KafkaAPIVersions.supported.count)
        #expect(Array(body[0..<6]) == [0, 35, 0, 0, 0, UInt8(KafkaAPIVersions.supported.count)])
        #expect(Array(body[6..<12]) == [0, 0, 0, 0, 0, 11])  // Produce 0–11
    }

    @Test func apiVersionsV3IsCompactWithThrottleAndTagsLast() {
        let response = KafkaApiVersionsResponse(apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        #expect(bytes(response, version: 3) == [0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0])
        #expect(bytes(response, version: 1) == [0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0])
    }

    @Test func produceThrottleComesLastAndFieldsFollowTheVersion() {
        let response = KafkaProduceResponse(
            topics: [.init(name: "t", partitions: [.init(index: 1, baseOffset: 5, logStartOffset: 2)])],
            throttleTimeMs: 9)
        let prefix: [UInt8] = [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 5]
        let minusOne = [UInt8](repeating: 0xFF, count: 8)
        #expect(bytes(response, version: 0) == prefix)
        #expect(bytes(response, version: 3) == prefix + minusOne + [0, 0, 0, 9])
        #expect(bytes(response, version: 7) == prefix + minusOne + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 0, 0, 9])
    }

    @Test func fetchV11Layout() {
        let records = ByteBuffer(bytes: [0xDE, 0xAD])
        let response = KafkaFetchResponse(topics: [
            .init(
                name: "t",
                partitions: [
                    .init(partitionIndex: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 1, records: records)
                ])
        ])
        let expected: [UInt8] =
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // throttle, error, session id
            + [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1]  // topics, "t", partitions
            + [0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, 0]  // aborted transactions: empty
            + [0xFF, 0xFF, 0xFF, 0xFF]  // preferred read replica
            + [0, 0, 0, 2, 0xDE, 0xAD]
        #expect(bytes(response, version: 11) == expected)
        // v4: no error/session, no log start offset, no preferred replica.
        #expect(bytes(response, version: 4).count == expected.count - 6 - 8 - 4)
    }

    @Test func anEmptyFetchPartitionHasEmptyNotNullRecords() {
        let response = KafkaFetchResponse(topics: [
            .init(
                name: "t",
                partitions: [.init(partitionIndex: 0, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0)])
        ])
        #expect(bytes(response, version: 11).suffix(4) == [0, 0, 0, 0])
    }

    @Test func metadataControllerAndVersionedFields() {
        let response = KafkaMetadataResponse(
            brokers: [.init(nodeId: 1, host: "h", port: 9092)], clusterId: "c", controllerId: 1,
            topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1])])
            ])
        let v1 = bytes(response, version: 1)
        let broker: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0x68, 0, 0, 0x23, 0x84, 0xFF, 0xFF]
        let partition: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
        #expect(v1 == broker + [0, 0, 0, 1] + [0, 0, 0, 1, 0, 0, 0, 1, 0x74, 0, 0, 0, 0, 1] + partition)
        let v6 = bytes(response, version: 6)
        #expect(v6.count == v1.count + 4 + 3 + 4)  // throttle, cluster id, offline replicas
        #expect(Array(v6[0..<4]) == [0, 0, 0, 0])
    }

    @Test func throttleIsFirstAndOnlyFromItsVersion() {
        let join = KafkaJoinGroupResponse(
            errorCode: .memberIdRequired, generationId: -1, protocolName: "", leader: "", memberId: "m")
        #expect(bytes(join, version: 1).count + 4 == bytes(join, version: 2).count)
        #expect(Array(bytes(join, version: 1)[0..<2]) == [0, 79])
        let sync = KafkaSyncGroupResponse(assignment: KafkaConsumerProtocol.emptyAssignment)
        #expect(bytes(sync, version: 0) == [0, 0, 0, 0, 0, 10] + KafkaConsumerProtocol.emptyAssignment)
        #expect(bytes(sync, version: 3).count == 4 + 16)
        let find = KafkaFindCoordinatorResponse(nodeId: 1, host: "h", port: 1)
        #expect(bytes(find, version: 0) == [0, 0, 0, 0, 0, 1, 0, 1, 0x68, 0, 0, 0, 1])
        #expect(bytes(find, version: 2) == [0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 1, 0, 1, 0x68, 0, 0, 0, 1])
        let fetch = KafkaOffsetFetchResponse(topics: [], errorCode: .none)
        #expect(bytes(fetch, version: 1) == [0, 0, 0, 0])
        #expect(bytes(fetch, version: 2) == [0, 0, 0, 0, 0, 0])
        #expect(bytes(fetch, version: 3) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let init0 = KafkaInitProducerIdResponse(producerId: 1000, producerEpoch: 0)
        #expect(bytes(init0, version: 0) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0, 0])
        let create = KafkaCreateTopicsResponse(topics: [
            .init(name: "t", errorCode: .topicAlreadyExists, errorMessage: "exists")
        ])
        #expect(bytes(create, version: 2) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 36, 0, 6] + Array("exists".utf8))
        let delete = KafkaDeleteTopicsResponse(topics: [.init(name: "t")])
        #expect(bytes(delete, version: 1) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0])
        let list = KafkaListOffsetsResponse(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, offset: 7)])
        ])
        #expect(bytes(list, version: 1).count == 4 + 3 + 4 + 4 + 2 + 8 + 8)
        #expect(bytes(list, version: 5).count == 4 + 4 + 3 + 4 + 4 + 2 + 8 + 8 + 4)
        let commit = KafkaOffsetCommitResponse(topics: [])
        #expect(bytes(commit, version: 2) == [0, 0, 0, 0] && bytes(commit, version: 3).count == 8)
    }
}

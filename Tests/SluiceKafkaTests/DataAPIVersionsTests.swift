import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

/// Golden bytes of the data APIs' versions beyond the first table (Produce v8–11, Fetch v0–3 and v12–17,
/// ListOffsets v0 and v6–9, Metadata v0 and v7–12) and of the old message formats (magic 0 and 1), checked
/// field by field against Apache Kafka 3.9's message schemas.
@Suite struct DataAPIVersionsTests {
    func bytes(_ response: some KafkaResponse, version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        response.encode(version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func produceV9RequestIsFlexible() throws {
        let body: [UInt8] =
            [0x00]  // transactional id: null (compact)
            + [0xFF, 0xFF, 0, 0, 0x03, 0xE8]  // acks -1, timeout 1000
            + [0x02, 0x02, 0x74]  // one topic, "t"
            + [0x02, 0, 0, 0, 1, 0x03, 0xAB, 0xCD, 0x00]  // one partition: 1, records (2 bytes), tags
            + [0x00, 0x00]  // topic tags, request tags
        var frame = ByteBuffer()
        KafkaRequestHeader(apiKey: 0, apiVersion: 9, correlationId: 1, clientId: "c").encode(into: &frame)
        #expect(Array(frame.readableBytesView).last == 0, "request header v2 ends with its tagged fields")
        frame.writeBytes(body)
        let (_, request) = try KafkaRequest.decode(frame: frame)
        let expected = KafkaProduceRequest(
            acks: -1, timeoutMs: 1000,
            topics: [.init(name: "t", partitions: [.init(index: 1, records: ByteBuffer(bytes: [0xAB, 0xCD]))])])
        #expect(request == .produce(expected))
    }

    @Test func produceV8ToV11ResponseLayout() {
        let response = KafkaProduceResponse(topics: [
            .init(name: "t", partitions: [.init(index: 0, baseOffset: 5, logStartOffset: 0)])
        ])
        let partition: [UInt8] =
            [0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 5] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
            + [0, 0, 0, 0, 0, 0, 0, 0]
        #expect(
            bytes(response, version: 8)
                == [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1] + partition + [0, 0, 0, 0, 0xFF, 0xFF] + [0, 0, 0, 0])
        let flexible = [0x02, 0x02, 0x74, 0x02] + partition + [0x01, 0x00, 0x00] + [0x00] + [0, 0, 0, 0, 0x00]
        for version: Int16 in 9...11 { #expect(bytes(response, version: version) == flexible, "v\(version)") }
    }

    @Test func fetchV13ResponseNamesTopicsById() {
        let id = KafkaUUID(bytes: Array(1...16))
        let response = KafkaFetchResponse(topics: [
            .init(
                name: "t", topicID: id,
                partitions: [
                    .init(
                        partitionIndex: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 1,
                        records: ByteBuffer(bytes: [0xDE, 0xAD]))
                ])
        ])
        let expected: [UInt8] =
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // throttle, error, session id
            + [0x02] + Array(1...16) + [0x02]  // one topic by id, one partition
            + [0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 1]
            + [0x01]  // aborted transactions: empty (compact)
            + [0xFF, 0xFF, 0xFF, 0xFF]  // preferred read replica
            + [0x03, 0xDE, 0xAD]  // records (compact)
            + [0x00, 0x00, 0x00]  // partition, topic and response tags
        for version: Int16 in 13...17 { #expect(bytes(response, version: version) == expected, "v\(version)") }
        // v12: the name instead of the id.
        #expect(bytes(response, version: 12) == Array(expected[0..<11]) + [0x02, 0x74] + Array(expected[27...]))
    }

    @Test func fetchV0ToV3ResponsesHaveNoTransactionFields() {
        let response = KafkaFetchResponse(topics: [
            .init(
                name: "t",
                partitions: [
                    .init(
                        partitionIndex: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 1,
                        records: ByteBuffer(bytes: [0xDE, 0xAD]))
                ])
        ])
        let topics: [UInt8] =
            [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 3]
            + [0, 0, 0, 2, 0xDE, 0xAD]
        #expect(bytes(response, version: 0) == topics)
        for version: Int16 in 1...3 { #expect(bytes(response, version: version) == [0, 0, 0, 0] + topics) }
    }

    @Test func fetchV15RequestHasNoReplicaId() throws {
        let request = KafkaFetchRequest(
            maxWaitMs: 100, minBytes: 1,
            topics: [
                .init(
                    name: "", topicID: KafkaUUID(bytes: Array(1...16)),
                    partitions: [.init(partition: 0, fetchOffset: 7, partitionMaxBytes: 1024)])
            ])
        var body = ByteBuffer()
        KafkaRequest.fetch(request).encodeBody(version: 15, into: &body)
        let expected: [UInt8] =
            [0, 0, 0, 100, 0, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF, 0]  // max wait, min bytes, max bytes, isolation
            + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]  // session id and epoch
            + [0x02] + Array(1...16) + [0x02]
            + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF]
            + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 4, 0, 0x00]  // log start, max bytes, tags
            + [0x00, 0x01, 0x01, 0x00]  // topic tags, no forgotten topics, rack "", tags
        #expect(Array(body.readableBytesView) == expected)
        var fourteen = ByteBuffer()
        KafkaRequest.fetch(request).encodeBody(version: 14, into: &fourteen)
        #expect(Array(fourteen.readableBytesView) == [0xFF, 0xFF, 0xFF, 0xFF] + expected)
    }

    @Test func listOffsetsV0AnswersAListOfOffsets() throws {
        let response = KafkaListOffsetsResponse(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, offset: 42), .init(partitionIndex: 1, offset: -1)])
        ])
        #expect(
            bytes(response, version: 0)
                == [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42]
                + [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        let v6 = bytes(response, version: 6)
        #expect(v6.prefix(8) == [0, 0, 0, 0, 0x02, 0x02, 0x74, 0x03])
        #expect(v6.suffix(2) == [0x00, 0x00])
        var request = ByteBuffer()
        KafkaRequest.listOffsets(
            KafkaListOffsetsRequest(topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 0, timestamp: -1, maxNumOffsets: 5)])
            ])
        ).encodeBody(version: 0, into: &request)
        #expect(
            Array(request.readableBytesView)
                == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0]
                + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 5])
    }

    @Test func metadataV12ResponseCarriesTopicIds() {
        let id = KafkaUUID(bytes: Array(1...16))
        let response = KafkaMetadataResponse(
            brokers: [.init(nodeId: 1, host: "h", port: 9092)], clusterId: "c", controllerId: 1,
            topics: [
                .init(
                    name: "t", topicID: id,
                    partitions: [.init(partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1])]),
                .init(errorCode: .unknownTopicId, name: "", topicID: KafkaUUID(bytes: Array(17...32)), partitions: []),
            ])
        let expected: [UInt8] =
            [0, 0, 0, 0]  // throttle
            + [0x02, 0, 0, 0, 1, 0x02, 0x68, 0, 0, 0x23, 0x84, 0x00, 0x00]  // broker 1 "h":9092, rack null, tags
            + [0x02, 0x63, 0, 0, 0, 1]  // cluster "c", controller 1
            + [0x03]  // two topics
            + [0, 0, 0x02, 0x74] + Array(1...16) + [0x00]  // error, "t", id, not internal
            + [0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 1, 0x01, 0x00]
            + [0x80, 0, 0, 0, 0x00]  // authorized operations not provided, tags
            + [0, 100, 0x00] + Array(17...32) + [0x00, 0x01, 0x80, 0, 0, 0, 0x00]  // unknown id: null name
            + [0x00]
        #expect(bytes(response, version: 12) == expected)
        // v10 and v11 have the id too but never a null name.
        #expect(bytes(response, version: 11).count == expected.count)
        // v9: no ids; the cluster's authorized operations (v8-10) instead.
        #expect(bytes(response, version: 9).count == expected.count - 32 + 4)
        // v0: no throttle, rack, cluster, controller, internal flag, epoch, offline replicas, operations.
        #expect(bytes(response, version: 0).count == 15 + 4 + (2 + 3 + 4 + 26) + (2 + 2 + 4))
    }

    @Test func metadataV0EmptyListMeansEveryTopicAndV12NamesById() throws {
        var v0 = ByteBuffer(bytes: [0, 0, 0, 0])
        #expect(try KafkaMetadataRequest.decode(version: 0, from: &v0).topics == nil)
        var v1 = ByteBuffer(bytes: [0, 0, 0, 0])
        #expect(try KafkaMetadataRequest.decode(version: 1, from: &v1).topics == [])
        var v12 = ByteBuffer(bytes: [0x02] + Array(1...16) + [0x00, 0x00, 0x01, 0x00, 0x00])
        let request = try KafkaMetadataRequest.decode(version: 12, from: &v12)
        #expect(request.topics == [] && request.topicIDs == [KafkaUUID(bytes: Array(1...16))])
        // librdkafka's "every topic" at v12: its 4-byte placeholder for the null count, then allow = true.
        var placeholder = ByteBuffer(bytes: [0, 0, 0, 0, 1, 0, 0])
        let everything = try KafkaMetadataRequest.decode(version: 12, from: &placeholder)
        #expect(everything.topics == nil && everything.allowAutoTopicCreation && placeholder.readableBytes == 0)
        var v11 = ByteBuffer(bytes: [0x02] + Array(1...16) + [0x00, 0x00, 0x01, 0x00, 0x00])
        #expect(throws: KafkaDecodeError.self) { try KafkaMetadataRequest.decode(version: 11, from: &v11) }
    }
}

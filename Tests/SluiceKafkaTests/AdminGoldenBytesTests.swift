import NIOCore
import Testing

@testable import SluiceKafka

/// Byte-for-byte layouts of the admin APIs at the versions where their encodings change, written out by hand from
/// Apache Kafka's message schemas.
@Suite struct AdminGoldenBytesTests {
    func bytes(_ response: some KafkaResponse, version: Int16) -> [UInt8] {
        var buffer = ByteBuffer()
        response.encode(version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func listGroupsV5RequestIsFlexibleWithBothFilters() throws {
        let frame = ByteBuffer(
            bytes: [0x00, 0x10, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x63, 0x00]
                + [0x02, 0x07] + ascii("Stable") + [0x02, 0x08] + ascii("classic") + [0x00])
        let (header, request) = try KafkaRequest.decode(frame: frame)
        #expect(header == KafkaRequestHeader(apiKey: 16, apiVersion: 5, correlationId: 1, clientId: "c"))
        #expect(request == .listGroups(KafkaListGroupsRequest(statesFilter: ["Stable"], typesFilter: ["classic"])))
        // v0–v2 have an empty body and header v1; v3 is flexible with only its tags.
        #expect(RequestSamples.frame(.listGroups(KafkaListGroupsRequest()), version: 2).readableBytes == 14)
        #expect(RequestSamples.frame(.listGroups(KafkaListGroupsRequest()), version: 3).readableBytes == 16)
    }

    @Test func listGroupsResponseGainsThrottleStateAndType() {
        let response = KafkaListGroupsResponse(
            groups: [.init(groupId: "g", protocolType: "consumer", groupState: "Stable", groupType: "classic")])
        let v0: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 1, 0x67, 0, 8] + ascii("consumer")
        #expect(bytes(response, version: 0) == v0)
        #expect(bytes(response, version: 1) == [0, 0, 0, 0] + v0)
        #expect(
            bytes(response, version: 5)
                == [0, 0, 0, 0, 0, 0, 2, 2, 0x67, 9] + ascii("consumer") + [7] + ascii("Stable") + [8]
                + ascii("classic") + [0, 0])
    }

    @Test func describeConfigsResponseAcrossItsVersions() {
        let response = KafkaDescribeConfigsResponse(
            results: [
                .init(
                    resourceType: 2, resourceName: "t",
                    configs: [
                        .init(
                            name: "retention.ms", value: "1000", readOnly: false,
                            configSource: KafkaConfigSource.dynamicTopic, configType: KafkaConfigType.long)
                    ])
            ])
        let head: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF, 2, 0, 1, 0x74, 0, 0, 0, 1]
        let entry: [UInt8] = [0, 12] + ascii("retention.ms") + [0, 4] + ascii("1000")
        // v0: read-only, is-default (false: the source is not the default), sensitive.
        #expect(bytes(response, version: 0) == head + entry + [0, 0, 0])
        // v1: the source replaces is-default; synonyms follow.
        #expect(bytes(response, version: 1) == head + entry + [0, 1, 0, 0, 0, 0, 0])
        // v3: the type and a null documentation.
        #expect(bytes(response, version: 3) == head + entry + [0, 1, 0, 0, 0, 0, 0, 5, 0xFF, 0xFF])
        #expect(
            bytes(response, version: 4)
                == [0, 0, 0, 0, 2, 0, 0, 0, 2, 2, 0x74, 2, 13] + ascii("retention.ms") + [5] + ascii("1000")
                + [0, 1, 0, 1, 5, 0, 0, 0, 0])
    }

    @Test func describeConfigsV0SaysIsDefaultForTheDefaultSource() {
        let response = KafkaDescribeConfigsResponse(
            results: [
                .init(
                    resourceType: 4, resourceName: "1",
                    configs: [
                        .init(name: "a", value: nil, readOnly: true, configSource: KafkaConfigSource.defaultConfig)
                    ])
            ])
        #expect(
            bytes(response, version: 0)
                == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF, 4, 0, 1, 0x31, 0, 0, 0, 1, 0, 1, 0x61, 0xFF, 0xFF]
                + [1, 1, 0])
    }

    @Test func describeClusterIsFlexibleFromV0AndV1AddsTheEndpointType() {
        let response = KafkaDescribeClusterResponse(
            clusterId: "sluice", controllerId: 1, brokers: [.init(brokerId: 1, host: "127.0.0.1", port: 9092)])
        let tail: [UInt8] =
            [7] + ascii("sluice") + [0, 0, 0, 1, 2, 0, 0, 0, 1, 10] + ascii("127.0.0.1")
            + [0, 0, 0x23, 0x84, 0, 0, 0x80, 0, 0, 0, 0]
        #expect(bytes(response, version: 0) == [0, 0, 0, 0, 0, 0, 0] + tail)
        #expect(bytes(response, version: 1) == [0, 0, 0, 0, 0, 0, 0, 1] + tail)
        #expect(KafkaResponseFrame.usesHeaderV1(apiKey: 60, apiVersion: 0))
        #expect(KafkaRequestHeader.usesHeaderV2(apiKey: 60, apiVersion: 0))
    }

    @Test func headersFollowEachAdminAPIsFirstFlexibleVersion() {
        let firsts: [(key: KafkaAPIKey, flexible: Int16)] = [
            (.listGroups, 3), (.describeGroups, 5), (.deleteGroups, 2), (.describeConfigs, 4), (.alterConfigs, 2),
            (.incrementalAlterConfigs, 1), (.createPartitions, 2), (.deleteRecords, 2), (.describeLogDirs, 2),
            (.offsetForLeaderEpoch, 4),
        ]
        for (key, flexible) in firsts {
            #expect(!KafkaResponseFrame.usesHeaderV1(apiKey: key.rawValue, apiVersion: flexible - 1), "\(key)")
            #expect(KafkaResponseFrame.usesHeaderV1(apiKey: key.rawValue, apiVersion: flexible), "\(key)")
            #expect(KafkaRequestHeader.usesHeaderV2(apiKey: key.rawValue, apiVersion: flexible), "\(key)")
        }
        #expect(!KafkaResponseFrame.usesHeaderV1(apiKey: KafkaAPIKey.offsetDelete.rawValue, apiVersion: 0))
    }

    @Test func offsetForLeaderEpochRequestFieldsByVersion() throws {
        let sample = KafkaOffsetForLeaderEpochRequest(
            topics: [.init(name: "demo", partitions: [.init(partition: 0, leaderEpoch: 0)])])
        let body: [UInt8] = [0, 0, 0, 1, 0, 4] + ascii("demo") + [0, 0, 0, 1, 0, 0, 0, 0]
        var v0 = ByteBuffer()
        KafkaRequest.offsetForLeaderEpoch(sample).encodeBody(version: 0, into: &v0)
        #expect(Array(v0.readableBytesView) == body + [0, 0, 0, 0])
        var v3 = ByteBuffer()
        KafkaRequest.offsetForLeaderEpoch(sample).encodeBody(version: 3, into: &v3)
        // The replica id (-2, a consumer) first; the current leader epoch (-1) before the epoch asked for.
        #expect(Array(v3.readableBytesView) == [0xFF, 0xFF, 0xFF, 0xFE] + body + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        let response = KafkaOffsetForLeaderEpochResponse(
            topics: [.init(name: "demo", partitions: [.init(partition: 0, leaderEpoch: 0, endOffset: 7)])])
        let partition: [UInt8] = [0, 0, 0, 0, 0, 0]
        #expect(
            bytes(response, version: 0) == [0, 0, 0, 1, 0, 4] + ascii("demo") + [0, 0, 0, 1] + partition
                + [0, 0, 0, 0, 0, 0, 0, 7])
        #expect(
            bytes(response, version: 4) == [0, 0, 0, 0, 2, 5] + ascii("demo") + [2] + partition
                + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0])
    }

    @Test func deleteRecordsV2ResponseIsCompact() {
        let response = KafkaDeleteRecordsResponse(
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 3, lowWatermark: 9)])])
        #expect(
            bytes(response, version: 2) == [0, 0, 0, 0, 2, 2, 0x74, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0]
                + [0, 0, 0])
        #expect(
            bytes(response, version: 1) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 3]
                + [0, 0, 0, 0, 0, 0, 0, 9, 0, 0])
    }

    @Test func describeLogDirsV4AddsTheDirectorysSpace() {
        let response = KafkaDescribeLogDirsResponse(
            results: [
                .init(
                    logDir: "/d", topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, partitionSize: 5)])],
                    totalBytes: 100, usableBytes: 40)
            ])
        let partition: [UInt8] = [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0, 0, 0, 0, 0, 0] + [0]
        #expect(
            bytes(response, version: 0)
                == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2] + ascii("/d") + [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1]
                + partition)
        #expect(
            bytes(response, version: 4) == [0, 0, 0, 0, 0, 0, 2, 0, 0, 3] + ascii("/d") + [2, 2, 0x74, 2] + partition
                + [0, 0] + [0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0])
    }

    @Test func consumerProtocolBytesForNativeMembers() throws {
        let subscription = KafkaConsumerProtocol.subscription(topics: ["a"])
        #expect(subscription == [0, 0, 0, 0, 0, 1, 0, 1, 0x61, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try KafkaConsumerProtocol.subscriptionTopics(subscription).topics == ["a"])
        let assignment = KafkaConsumerProtocol.assignment([("a", 0), ("b", 1), ("a", 2)])
        let read = try KafkaConsumerProtocol.assignedPartitions(assignment)
        #expect(read.map(\.topic) == ["a", "b"] && read.map(\.partitions) == [[0, 2], [1]])
        #expect(KafkaConsumerProtocol.assignment([]) == KafkaConsumerProtocol.emptyAssignment)
    }
}

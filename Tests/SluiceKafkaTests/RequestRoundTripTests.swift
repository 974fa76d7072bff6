import NIOCore
import Testing

@testable import SluiceKafka

@Suite struct RequestRoundTripTests {
    @Test func everySampleCoversEveryAdvertisedAPI() {
        #expect(Set(RequestSamples.all.map(\.apiKey.rawValue)) == Set(KafkaAPIVersions.supported.map(\.apiKey)))
    }

    /// At every advertised version: frame → request → frame gives the same bytes; at the top version the
    /// decoded request equals the sample.
    @Test(arguments: RequestSamples.all)
    func roundTripsAtEveryAdvertisedVersion(sample: KafkaRequest) throws {
        let range = try #require(KafkaAPIVersions.range(of: sample.apiKey.rawValue))
        for version in range.minVersion...range.maxVersion {
            let frame = RequestSamples.frame(sample, version: version)
            let (header, request) = try KafkaRequest.decode(frame: frame)
            #expect(
                header
                    == KafkaRequestHeader(
                        apiKey: sample.apiKey.rawValue, apiVersion: version, correlationId: 77, clientId: "test"))
            let decoded = try #require(request, "v\(version)")
            #expect(RequestSamples.frame(decoded, version: version) == frame, "v\(version)")
            if version == range.maxVersion { #expect(decoded == sample) }
        }
    }

    @Test func unknownKeysAndVersionsDecodeToTheirHeaderOnly() throws {
        for (key, version): (Int16, Int16) in [(0, 12), (1, 18), (2, 10), (3, 13), (18, 5), (50, 0), (-1, 0)] {
            var frame = ByteBuffer()
            KafkaRequestHeader(apiKey: key, apiVersion: version, correlationId: 9, clientId: nil).encode(into: &frame)
            frame.writeBytes([1, 2, 3])
            let (header, request) = try KafkaRequest.decode(frame: frame)
            #expect(header.correlationId == 9 && header.apiKey == key && header.apiVersion == version)
            #expect(request == nil)
        }
    }

    /// kcat's first request: ApiVersions v3 with header v2 (int16 client id, then tagged fields).
    @Test func apiVersionsV3GoldenBytes() throws {
        let frame = ByteBuffer(bytes: [
            0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x72, 0x64, 0x6B, 0x61, 0x66, 0x6B, 0x61,
            0x00,  // header tagged fields
            0x0B, 0x6C, 0x69, 0x62, 0x72, 0x64, 0x6B, 0x61, 0x66, 0x6B, 0x61, 0x06, 0x32, 0x2E, 0x30, 0x2E, 0x32,
            0x01, 0x00, 0x03, 0xAA, 0xBB, 0xCC,  // one unknown tagged field (tag 0, 3 bytes), skipped
        ])
        let (header, request) = try KafkaRequest.decode(frame: frame)
        #expect(header == KafkaRequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: "rdkafka"))
        #expect(
            request
                == .apiVersions(
                    KafkaApiVersionsRequest(clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.0.2")))
    }

    @Test func produceV0ToV2HaveNoTransactionalId() throws {
        let sample = KafkaProduceRequest(
            acks: 1, timeoutMs: 5,
            topics: [.init(name: "t", partitions: [.init(index: 0, records: ByteBuffer(bytes: [9]))])])
        let frame = RequestSamples.frame(.produce(sample), version: 2)
        #expect(frame.readableBytes == 14 + 2 + 4 + 4 + 3 + 4 + 4 + 4 + 1)
        #expect(try KafkaRequest.decode(frame: frame).request == .produce(sample))
    }

    @Test func trailingBytesAndNullWhereForbiddenAreErrors() {
        var trailing = RequestSamples.frame(
            .leaveGroup(KafkaLeaveGroupRequest(groupId: "g", memberId: "m")), version: 1)
        trailing.writeInteger(UInt8(0))
        #expect(throws: KafkaDecodeError.self) { try KafkaRequest.decode(frame: trailing) }
        let nullTopics = RequestSamples.frame(
            .offsetFetch(KafkaOffsetFetchRequest(groupId: "g", topics: nil)), version: 1)
        #expect(throws: KafkaDecodeError.self) { try KafkaRequest.decode(frame: nullTopics) }
        let nullTopicsV2 = RequestSamples.frame(
            .offsetFetch(KafkaOffsetFetchRequest(groupId: "g", topics: nil)), version: 2)
        #expect(throws: Never.self) { try KafkaRequest.decode(frame: nullTopicsV2) }
        #expect(throws: KafkaDecodeError.self) { try KafkaRequest.decode(frame: ByteBuffer(bytes: [0, 3, 0])) }
    }

    @Test func produceRecordsStayASliceForTheBatchDecoder() throws {
        let frame = RequestSamples.frame(RequestSamples.all[0], version: 7)
        guard case .produce(let produce)? = try KafkaRequest.decode(frame: frame).request else {
            Issue.record("not a produce")
            return
        }
        #expect(produce.topics[0].partitions[0].records == ByteBuffer(bytes: [1, 2, 3]))
        #expect(produce.topics[0].partitions[1].records == nil)
    }
}

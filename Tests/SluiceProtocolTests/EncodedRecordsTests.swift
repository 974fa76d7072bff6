import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

@Suite struct EncodedRecordsTests {
    static let records = [
        Record(offset: 10, timestamp: 100, key: nil, value: []),
        Record(
            offset: 11, timestamp: -5, key: [1, 2, 3], value: nil,
            headers: [Header(name: "h", value: [9]), Header(name: "", value: nil)]),
        Record(offset: 13, timestamp: 1 << 40, key: [], value: Array(repeating: 0xab, count: 300)),
    ]

    static func encoded(_ records: [Record]) -> EncodedRecords {
        var encoded = EncodedRecords(capacity: 8)
        for record in records {
            let append = { (key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?) in
                encoded.append(
                    offset: record.offset, timestamp: record.timestamp, key: key, value: value,
                    headers: record.headers)
            }
            switch (record.key, record.value) {
            case (nil, nil): append(nil, nil)
            case (let key?, nil): key.withUnsafeBytes { append($0, nil) }
            case (nil, let value?): value.withUnsafeBytes { append(nil, $0) }
            case (let key?, let value?): key.withUnsafeBytes { k in value.withUnsafeBytes { append(k, $0) } }
            }
        }
        return encoded
    }

    static func frame(_ partition: FetchResponse.Partition) -> ByteBuffer {
        var buffer = ByteBuffer()
        Response.fetch(FetchResponse(topics: [.init(name: "t", partitions: [partition])]))
            .encodeFrame(correlationID: 7, into: &buffer)
        return buffer
    }

    /// A response is sized before it is encoded: one over the limit throws and writes nothing, so no frame length
    /// can overflow.
    @Test func aResponseOverTheLimitIsRefusedBeforeItIsEncoded() throws {
        let response = Response.fetch(
            FetchResponse(topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 0, logStartOffset: 0, highWatermark: 14,
                            encodedRecords: Self.encoded(Self.records))
                    ])
            ]))
        var buffer = ByteBuffer()
        #expect(throws: SluiceError.self) {
            try response.encodeFrame(correlationID: 7, maxBodySize: response.frameBodySize - 1, into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
        try response.encodeFrame(correlationID: 7, maxBodySize: response.frameBodySize, into: &buffer)
        #expect(buffer.readableBytes == 4 + response.frameBodySize)
        // The length prefix is a uint32 read as at most Int32.max: no limit lets a larger body through.
        do {
            var none = ByteBuffer()
            try response.encodeFrame(correlationID: 7, maxBodySize: .max, into: &none)
        }
    }

    @Test func encodesAsTheRecordsWould() throws {
        let encoded = Self.encoded(Self.records)
        #expect(encoded.count == 3)
        let fromRecords = Self.frame(.init(partition: 3, logStartOffset: 0, highWatermark: 14, records: Self.records))
        let fromEncoded = Self.frame(.init(partition: 3, logStartOffset: 0, highWatermark: 14, encodedRecords: encoded))
        #expect(fromEncoded == fromRecords, "\(fromEncoded.hexDump)")

        let frame = try ResponseFrame.decode(from: fromEncoded.getSlice(at: 4, length: fromEncoded.readableBytes - 4)!)
        guard case .fetch(let decoded) = try frame.response(to: .fetch) else {
            Issue.record("not a fetch response")
            return
        }
        #expect(decoded.topics.first?.partitions.first?.records == Self.records)
    }

    @Test func matchesTheGoldenFetchFrame() {
        let encoded = Self.encoded([Record(offset: 10, timestamp: 100, key: nil, value: [])])
        let frame = Self.frame(.init(partition: 3, logStartOffset: 0, highWatermark: 11, encodedRecords: encoded))
        let golden = GoldenBytesTests.fetchResponseFrame
        // The golden frame's topic name is "t" and correlation id 7, as here.
        #expect(frame == golden, "\(frame.hexDump)")
    }

    @Test func emptyListIsAnEmptyArray() {
        let frame = Self.frame(
            .init(partition: 0, logStartOffset: 5, highWatermark: 5, encodedRecords: EncodedRecords()))
        let plain = Self.frame(.init(partition: 0, logStartOffset: 5, highWatermark: 5, records: []))
        #expect(frame == plain)
    }
}

import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

/// The fetch side's RecordBatch v2 writer: golden bytes, and its output read back by the validated decoder.
@Suite struct RecordBatchWriterTests {
    /// Appends `records` as storage would hand them over, then finishes the batch.
    static func write(_ records: [Record]) -> KafkaRecordBatchWriter {
        var writer = KafkaRecordBatchWriter()
        for record in records { append(record, to: &writer) }
        writer.finish()
        return writer
    }

    static func append(_ record: Record, to writer: inout KafkaRecordBatchWriter) {
        func withBlob<T>(_ blob: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
            guard let blob else { return body(nil) }
            return blob.withUnsafeBytes { body($0) }
        }
        withBlob(record.key) { key in
            withBlob(record.value) { value in
                writer.append(
                    offset: record.offset, timestamp: record.timestamp, key: key, value: value,
                    headers: record.headers)
            }
        }
    }

    /// The records of a payload the validated decoder accepted, with the offsets it says they have.
    static func decode(_ writer: KafkaRecordBatchWriter) throws -> [Record] {
        try KafkaRecordBatchDecoder().decodePayload(writer.bytes).flatMap { batch in
            batch.records.enumerated().map { delta, record in
                Record(
                    offset: batch.baseOffset + Int64(delta), timestamp: record.timestamp!, key: record.key,
                    value: record.value, headers: record.headers)
            }
        }
    }

    // MARK: - Golden bytes

    @Test func reproducesKafkaPythonsBatchByteForByte() {
        let records = RecordBatchTests.fixtureRecords.enumerated().map { i, r in
            Record(offset: Int64(i), timestamp: r.timestamp!, key: r.key, value: r.value, headers: r.headers)
        }
        let writer = Self.write(records)
        #expect(Array(writer.bytes.readableBytesView) == RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed))
        #expect(writer.count == 3)
    }

    @Test func theThirteenByteRecordOfKafkaCompat() throws {
        let record = Record(
            offset: 5, timestamp: 99, key: [0x6B], value: [0x76], headers: [Header(name: "h", value: [0x78])])
        let writer = Self.write([record])
        let bytes = Array(writer.bytes.readableBytesView)
        #expect(bytes.count == 61 + 13)
        #expect(Array(bytes[61...]) == [0x18, 0x00, 0x00, 0x00, 0x02, 0x6B, 0x02, 0x76, 0x02, 0x02, 0x68, 0x02, 0x78])
        #expect(try Self.decode(writer) == [record])
    }

    @Test func aNullKeyIsEncodedAsMinusOne() {
        let writer = Self.write([Record(offset: 0, timestamp: 0, key: nil, value: [])])
        #expect(Array(writer.bytes.readableBytesView.dropFirst(61)) == [0x0C, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])
    }

    /// Every header field of a one-record batch at offset 7, timestamp 1000.
    @Test func theHeaderOfABatch() {
        let writer = Self.write([Record(offset: 7, timestamp: 1000, key: nil, value: [1, 2, 3])])
        let bytes = Array(writer.bytes.readableBytesView)
        let length = bytes.count - 12
        let crc = CRC32C.checksum(bytes[21...])
        let expected: [UInt8] =
            [0, 0, 0, 0, 0, 0, 0, 7]  // base offset
            + [0, 0, 0, UInt8(length)]  // batch length
            + [0, 0, 0, 0]  // partition leader epoch
            + [2]  // magic
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
            + [0, 0]  // attributes
            + [0, 0, 0, 0]  // last offset delta
            + [0, 0, 0, 0, 0, 0, 0x03, 0xE8]  // base timestamp
            + [0, 0, 0, 0, 0, 0, 0x03, 0xE8]  // max timestamp
            + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]  // producer id
            + [0xFF, 0xFF]  // producer epoch
            + [0xFF, 0xFF, 0xFF, 0xFF]  // base sequence
            + [0, 0, 0, 1]  // records
            + [0x12, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x02, 0x03, 0x00]
        #expect(bytes == expected)
    }

    // MARK: - Edge cases

    @Test func nothingAppendedIsNoBytes() {
        var writer = KafkaRecordBatchWriter(capacity: 1000)
        writer.finish()
        writer.finish()
        #expect(writer.bytes.readableBytes == 0 && writer.count == 0)
    }

    @Test func nullAndEmptyKeysValuesAndHeadersRoundTrip() throws {
        let records = [
            Record(offset: 0, timestamp: 10, key: nil, value: nil),
            Record(offset: 1, timestamp: 10, key: [], value: []),
            Record(
                offset: 2, timestamp: 11, key: [0], value: nil,
                headers: [
                    Header(name: "trace", value: Array("abc".utf8)), Header(name: "", value: []),
                    Header(name: "null", value: nil), Header(name: "ü", value: [0xFF]),
                ]),
            Record(offset: 3, timestamp: 12, key: nil, value: Array(repeating: 0x61, count: 300)),
        ]
        #expect(try Self.decode(Self.write(records)) == records)
    }

    @Test func offsetsBeyondInt32AreKeptInTheBaseOffset() throws {
        let base: Int64 = (1 << 40) + 12_345
        let records = (0..<3).map { Record(offset: base + $0, timestamp: 5, key: nil, value: [UInt8($0)]) }
        let writer = Self.write(records)
        #expect(writer.bytes.getInteger(at: 0, as: Int64.self) == base)
        #expect(try Self.decode(writer) == records)
    }

    @Test func timestampsGoingBackwardsGiveNegativeDeltasAndTheLargestAsMax() throws {
        let records = [1_000, 900, 1_100, -5].enumerated().map { i, ts in
            Record(offset: Int64(i), timestamp: Int64(ts), key: nil, value: [1])
        }
        let writer = Self.write(records)
        let batch = try #require(try KafkaRecordBatchDecoder().decodePayload(writer.bytes).first)
        #expect(batch.baseTimestamp == 1_000 && batch.maxTimestamp == 1_100)
        #expect(batch.records.map(\.timestamp) == [1_000, 900, 1_100, -5])
    }

    /// Compaction leaves holes: deltas keep them (the validated decoder, for produce payloads, wants 0…n−1, so the
    /// records are read one by one here).
    @Test func offsetGapsAreKeptInTheDeltas() throws {
        let records = [
            Record(offset: 100, timestamp: 50, key: nil, value: [1]),
            Record(offset: 103, timestamp: 40, key: [2], value: nil),
            Record(offset: 110, timestamp: 70, key: [3], value: [4], headers: [Header(name: "a", value: nil)]),
        ]
        var batch = Self.write(records).bytes
        let bytes = Array(batch.readableBytesView)
        #expect(batch.getInteger(at: 0, as: Int64.self) == 100)
        #expect(batch.getInteger(at: 8, as: Int32.self) == Int32(bytes.count - 12))
        #expect(batch.getInteger(at: 23, as: Int32.self) == 10)  // lastOffsetDelta
        #expect(batch.getInteger(at: 35, as: Int64.self) == 70)  // maxTimestamp
        #expect(batch.getInteger(at: 57, as: Int32.self) == 3)
        #expect(batch.getInteger(at: 17, as: UInt32.self) == CRC32C.checksum(bytes[21...]))
        batch.moveReaderIndex(forwardBy: 61)
        var deltas: [Int32] = []
        var decoded: [ProducerRecord] = []
        while batch.readableBytes > 0 {
            let (record, delta) = try KafkaRecordBatchDecoder.decodeRecord(
                &batch, baseTimestamp: 50, expectedDelta: nil)
            deltas.append(delta)
            decoded.append(record)
        }
        #expect(deltas == [0, 3, 10])
        #expect(decoded.map(\.timestamp) == [50, 40, 70])
        #expect(decoded.map(\.key) == records.map(\.key) && decoded.map(\.value) == records.map(\.value))
        #expect(decoded[2].headers == records[2].headers)
    }

    @Test func aGapWiderThanAnInt32DeltaStartsASecondBatch() throws {
        // A delta of exactly Int32.max still fits.
        let widest = Self.write([
            Record(offset: 10, timestamp: 1, key: nil, value: [1]),
            Record(offset: 10 + Int64(Int32.max), timestamp: 2, key: nil, value: [2]),
        ])
        #expect(widest.bytes.getInteger(at: 23, as: Int32.self) == Int32.max)
        #expect(widest.bytes.getInteger(at: 8, as: Int32.self) == Int32(widest.bytes.readableBytes - 12))

        let far = 10 + Int64(Int32.max) + 1
        let records = [
            Record(offset: 10, timestamp: 1, key: nil, value: [1]),
            Record(offset: 11, timestamp: 2, key: nil, value: [2]),
            Record(offset: far, timestamp: 3, key: nil, value: [3]),
            Record(offset: far + 1, timestamp: 4, key: nil, value: [4]),
        ]
        let writer = Self.write(records)
        let batches = try KafkaRecordBatchDecoder().decodePayload(writer.bytes)
        #expect(batches.map(\.baseOffset) == [10, far])
        #expect(batches.map(\.baseTimestamp) == [1, 3])
        #expect(try Self.decode(writer) == records)
        #expect(writer.count == 4)
    }

    /// Batches written one after another (`finish`, then more records) read back as a produce payload of two.
    @Test func appendingAfterFinishStartsANewBatch() throws {
        let first = (0..<4).map { Record(offset: $0, timestamp: 1000 + $0, key: nil, value: Array("v\($0)".utf8)) }
        let second = (4..<6).map { Record(offset: $0, timestamp: 2000, key: [UInt8($0)], value: []) }
        var writer = KafkaRecordBatchWriter()
        for record in first { Self.append(record, to: &writer) }
        writer.finish()
        for record in second { Self.append(record, to: &writer) }
        writer.finish()
        let batches = try KafkaRecordBatchDecoder().decodePayload(writer.bytes)
        #expect(batches.map(\.baseOffset) == [0, 4])
        #expect(try Self.decode(writer) == first + second)
    }

    @Test func randomRecordsRoundTrip() throws {
        var random = SplitMix64(seed: 13)
        func blob(_ maxCount: Int) -> [UInt8]? {
            if Int.random(in: 0..<5, using: &random) == 0 { return nil }
            return (0..<Int.random(in: 0...maxCount, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
        }
        for _ in 0..<20 {
            var offset = Int64.random(in: 0...(1 << 50), using: &random)
            var records: [Record] = []
            for _ in 0..<Int.random(in: 1...200, using: &random) {
                let headers = (0..<Int.random(in: 0...3, using: &random)).map { n in
                    Header(name: "h\(n)", value: blob(20))
                }
                records.append(
                    Record(
                        offset: offset, timestamp: Int64.random(in: -(1 << 40)...(1 << 42), using: &random),
                        key: blob(40), value: blob(2_000), headers: headers))
                offset += 1
            }
            let writer = Self.write(records)
            #expect(try Self.decode(writer) == records)
            #expect(writer.count == records.count)
        }
    }
}

import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

@Suite struct RecordBatchTests {
    /// The records every kafka-python fixture holds.
    static let fixtureRecords: [ProducerRecord] = (0..<3).map(fixtureRecord)

    static func fixtureRecord(_ i: Int) -> ProducerRecord {
        let key: [UInt8]? = i == 1 ? nil : Array("key-\(i)".utf8)
        let value: [UInt8]? = i == 2 ? nil : Array(String(repeating: "value-\(i) ", count: 20).utf8)
        let headers: [Header] =
            i == 0 ? [Header(name: "h", value: Array("x".utf8)), Header(name: "n", value: nil)] : []
        let timestamp: Int64 = 1_700_000_000_000 + Int64(i) * 5
        return ProducerRecord(key: key, value: value, headers: headers, timestamp: timestamp)
    }

    let decoder = KafkaRecordBatchDecoder()

    func decode(_ bytes: [UInt8], with decoder: KafkaRecordBatchDecoder = KafkaRecordBatchDecoder())
        throws(KafkaRecordError)
        -> [KafkaRecordBatch]
    {
        try decoder.decodePayload(ByteBuffer(bytes: bytes))
    }

    /// Recomputes the CRC of a batch at `start` after a test edited it.
    static func fixCRC(_ bytes: inout [UInt8], start: Int = 0) {
        var length = 0
        for k in 8..<12 { length = length << 8 | Int(bytes[start + k]) }
        let crc = CRC32C.checksum(bytes[(start + 21)..<(start + 12 + length)])
        for k in 0..<4 { bytes[start + 17 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
    }

    static func expectCode(
        _ code: KafkaErrorCode, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try body()
            Issue.record("expected error \(code.rawValue)", sourceLocation: sourceLocation)
        } catch let error as KafkaRecordError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - kafka-python fixtures

    @Test(arguments: [
        (RecordBatchFixtures.uncompressed, KafkaCompression.uncompressed),
        (RecordBatchFixtures.gzip, KafkaCompression.gzip),
        (RecordBatchFixtures.zstd, KafkaCompression.zstd),
        (RecordBatchFixtures.snappy, KafkaCompression.snappy),
        (RecordBatchFixtures.snappyRaw, KafkaCompression.snappy),
        (RecordBatchFixtures.lz4, KafkaCompression.lz4),
    ])
    func decodesKafkaPythonBatches(fixture: String, compression: KafkaCompression) throws {
        let batches = try decode(RecordBatchFixtures.bytes(fixture))
        #expect(batches.count == 1)
        let batch = try #require(batches.first)
        #expect(batch.compression == compression)
        #expect(batch.records == Self.fixtureRecords)
        #expect(batch.producerId == -1 && batch.producerEpoch == -1 && batch.baseSequence == -1)
        #expect(batch.timestampType == .createTime)
        #expect(batch.lastOffsetDelta == 2)
        #expect(batch.baseTimestamp == 1_700_000_000_000 && batch.maxTimestamp == 1_700_000_000_010)
        #expect(batch.sizeInBytes == RecordBatchFixtures.bytes(fixture).count)
    }

    @Test func decodesAnIdempotentBatch() throws {
        let batch = try #require(try decode(RecordBatchFixtures.bytes(RecordBatchFixtures.idempotent)).first)
        #expect(batch.producerId == 1000 && batch.producerEpoch == 0 && batch.baseSequence == 7)
    }

    // MARK: - Validation

    @Test func shortOrWrongMagicOrInconsistentLengthIsCorrupt() {
        let good = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        Self.expectCode(.corruptMessage) { _ = try decode(Array(good[0..<60])) }
        Self.expectCode(.corruptMessage) { _ = try decode([]) }
        var magic = good
        magic[16] = 3
        Self.expectCode(.corruptMessage) { _ = try decode(magic) }
        // Magic 0 and 1 are the old formats: refused unless the Produce version carries them (v0-v2), as in Kafka.
        magic[16] = 1
        Self.expectCode(.invalidRecord) { _ = try decode(magic) }
        Self.expectCode(.corruptMessage) { _ = try decode(Array(good.dropLast())) }
        var tooSmallLength = good
        tooSmallLength[8...11] = [0, 0, 0, 10]
        Self.expectCode(.corruptMessage) { _ = try decode(tooSmallLength) }
        var negativeLength = good
        negativeLength[8] = 0xFF
        Self.expectCode(.corruptMessage) { _ = try decode(negativeLength) }
        Self.expectCode(.corruptMessage) { _ = try decode(good + [0]) }
    }

    @Test func aFlippedByteFailsTheCRC() {
        var bytes = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        bytes[100] ^= 0x01
        Self.expectCode(.corruptMessage) { _ = try decode(bytes) }
    }

    @Test func baseOffsetAndLeaderEpochAreOutsideTheCRC() throws {
        var bytes = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        bytes[7] = 42
        bytes[15] = 9
        let batch = try #require(try decode(bytes).first)
        #expect(batch.baseOffset == 42 && batch.partitionLeaderEpoch == 9)
    }

    @Test func oversizedBatchIsMessageTooLarge() {
        let bytes = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        Self.expectCode(.messageTooLarge) {
            _ = try decode(bytes, with: KafkaRecordBatchDecoder(maxBatchBytes: bytes.count - 1))
        }
    }

    @Test func controlBatchesAndBadCountsAndSequencesAreInvalid() {
        let good = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        var control = good
        control[22] |= 0x20
        Self.fixCRC(&control)
        Self.expectCode(.invalidRecord) { _ = try decode(control) }
        var delta = good
        delta[26] = 3
        Self.fixCRC(&delta)
        Self.expectCode(.invalidRecord) { _ = try decode(delta) }
        var zero = good
        zero[23...26] = [0xFF, 0xFF, 0xFF, 0xFF]
        zero[57...60] = [0, 0, 0, 0]
        Self.fixCRC(&zero)
        Self.expectCode(.invalidRecord) { _ = try decode(zero) }
        var sequence = good
        sequence[43...50] = [0, 0, 0, 0, 0, 0, 0, 1]  // producer id 1, base sequence still -1
        Self.fixCRC(&sequence)
        Self.expectCode(.invalidRecord) { _ = try decode(sequence) }
        var moreRecordsThanSent = good
        moreRecordsThanSent[26] = 3
        moreRecordsThanSent[60] = 4
        Self.fixCRC(&moreRecordsThanSent)
        Self.expectCode(.corruptMessage) { _ = try decode(moreRecordsThanSent) }
    }

    @Test(arguments: [5, 6, 7] as [UInt8])
    func unknownCodecsAreUnsupported(codec: UInt8) {
        var bytes = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        bytes[22] = codec
        Self.fixCRC(&bytes)
        Self.expectCode(.unsupportedCompressionType) { _ = try decode(bytes) }
    }

    /// On a machine without zlib, libzstd or liblz4, their batches are UNSUPPORTED_COMPRESSION_TYPE; snappy
    /// needs no library and still decodes.
    @Test func codecsWhoseLibraryIsMissingAreUnsupported() throws {
        var decoder = KafkaRecordBatchDecoder()
        decoder.codecs = CodecLibraries(
            zlib: ["libsluice-absent.so"], zstd: ["libsluice-absent.so"],
            lz4: ["libsluice-absent.so"])
        for fixture in [RecordBatchFixtures.gzip, RecordBatchFixtures.zstd, RecordBatchFixtures.lz4] {
            Self.expectCode(.unsupportedCompressionType) {
                _ = try decode(RecordBatchFixtures.bytes(fixture), with: decoder)
            }
        }
        let snappy = try decode(RecordBatchFixtures.bytes(RecordBatchFixtures.snappy), with: decoder)
        #expect(snappy.first?.records == Self.fixtureRecords)
    }

    /// A batch that says snappy or lz4 but holds plain records is corrupt, not unsupported.
    @Test(arguments: [2, 3] as [UInt8])
    func plainRecordsUnderACodecAreCorrupt(codec: UInt8) {
        var bytes = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        bytes[22] = codec
        Self.fixCRC(&bytes)
        Self.expectCode(.corruptMessage) { _ = try decode(bytes) }
    }

    @Test func aCompressedBatchMustBeAlone() throws {
        let plain = RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)
        let gzip = RecordBatchFixtures.bytes(RecordBatchFixtures.gzip)
        Self.expectCode(.invalidRecord) { _ = try decode(gzip + plain) }
        #expect(try decode(plain + plain).count == 2)
    }

    /// A batch claiming 1 zstd-compressed record whose payload expands to 2,000,000 zeros.
    @Test func aZstdBombStopsAtTheCap() throws {
        var bytes = Array(RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)[0..<61])
        bytes[22] = 4
        bytes[23...26] = [0, 0, 0, 0]
        bytes[57...60] = [0, 0, 0, 1]
        bytes += RecordBatchFixtures.bytes(RecordBatchFixtures.zstdZeros)
        let length = UInt32(bytes.count - 12)
        bytes[8...11] = [
            UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
        ]
        Self.fixCRC(&bytes)
        Self.expectCode(.messageTooLarge) {
            _ = try decode(bytes, with: KafkaRecordBatchDecoder(maxBatchBytes: 1000, maxDecompressedBytes: 1_000_000))
        }
        // With room for the zeros, decoding gets past the cap and fails on the records themselves.
        Self.expectCode(.corruptMessage) {
            _ = try decode(bytes, with: KafkaRecordBatchDecoder(maxBatchBytes: 1000, maxDecompressedBytes: 3_000_000))
        }
    }

    @Test func garbageCompressedPayloadIsCorrupt() {
        var bytes = RecordBatchFixtures.bytes(RecordBatchFixtures.gzip)
        bytes[90] ^= 0xFF
        Self.fixCRC(&bytes)
        Self.expectCode(.corruptMessage) { _ = try decode(bytes) }
    }
}

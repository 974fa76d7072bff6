import NIOCore
import SluiceCore
import Testing

@testable import SluiceKafka

/// Decoding within an allowance shared by every partition of a request.
@Suite struct RecordBatchAllowanceTests {
    let decoder = KafkaRecordBatchDecoder()

    func decode(_ bytes: [UInt8], allowance: inout Int) throws(KafkaRecordError) -> [KafkaRecordBatch] {
        try decoder.decodePayload(ByteBuffer(bytes: bytes), allowance: &allowance)
    }

    @Test(arguments: [RecordBatchFixtures.uncompressed, RecordBatchFixtures.gzip, RecordBatchFixtures.zstd])
    func aBatchCostsItsRecordsAndFitsAnAllowanceOfExactlyThat(fixture: String) throws {
        let bytes = RecordBatchFixtures.bytes(fixture)
        var unlimited = Int.max
        let batches = try decode(bytes, allowance: &unlimited)
        let cost = Int.max - unlimited
        #expect(batches.first?.records == RecordBatchTests.fixtureRecords)
        // Three records and two headers, besides the bytes of the records section (decompressed for a codec).
        #expect(cost > 3 * KafkaRecordBatchDecoder.decodedRecordBytes + 2 * KafkaRecordBatchDecoder.decodedHeaderBytes)

        var exact = cost
        #expect(try decode(bytes, allowance: &exact).first?.records == RecordBatchTests.fixtureRecords)
        #expect(exact == 0)
        var short = cost - 1
        RecordBatchTests.expectCode(.messageTooLarge) { _ = try decode(bytes, allowance: &short) }
    }

    @Test func aBombSpendsTheWholeAllowanceAndLaterPartitionsGetNothing() throws {
        var bytes = Array(RecordBatchFixtures.bytes(RecordBatchFixtures.uncompressed)[0..<61])
        bytes[22] = 4
        bytes[23...26] = [0, 0, 0, 0]
        bytes[57...60] = [0, 0, 0, 1]
        bytes += RecordBatchFixtures.bytes(RecordBatchFixtures.zstdZeros)
        let length = UInt32(bytes.count - 12)
        bytes[8...11] = [
            UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
        ]
        RecordBatchTests.fixCRC(&bytes)
        var allowance = 1_000_000
        RecordBatchTests.expectCode(.messageTooLarge) { _ = try decode(bytes, allowance: &allowance) }
        #expect(allowance == 0)
        // The next partition of the same request, however small, is refused without being expanded.
        let gzip = RecordBatchFixtures.bytes(RecordBatchFixtures.gzip)
        RecordBatchTests.expectCode(.messageTooLarge) { _ = try decode(gzip, allowance: &allowance) }
    }
}

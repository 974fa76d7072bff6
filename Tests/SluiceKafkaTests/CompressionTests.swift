import Testing

@testable import SluiceKafka

@Suite struct CompressionTests {
    static let plain = Array(String(repeating: "hello kafka ", count: 50).utf8)

    @Test func gunzipsTheGzipCLIsOutput() throws {
        #expect(try Decompressor.gunzip(RecordBatchFixtures.bytes(RecordBatchFixtures.gzipCLI), maxOutputBytes: 600) == Self.plain)
    }

    @Test func unzstdsTheZstdCLIsOutput() throws {
        #expect(try Decompressor.unzstd(RecordBatchFixtures.bytes(RecordBatchFixtures.zstdCLI), maxOutputBytes: 600) == Self.plain)
    }

    @Test func outputOneByteOverTheCapIsRefused() {
        #expect(throws: DecompressionError.self) {
            try Decompressor.gunzip(RecordBatchFixtures.bytes(RecordBatchFixtures.gzipCLI), maxOutputBytes: 599)
        }
        #expect(throws: DecompressionError.self) {
            try Decompressor.unzstd(RecordBatchFixtures.bytes(RecordBatchFixtures.zstdCLI), maxOutputBytes: 599)
        }
    }

    @Test func bombsStopAtTheCap() throws {
        #expect(throws: DecompressionError.self) {
            try Decompressor.gunzip(RecordBatchFixtures.bytes(RecordBatchFixtures.gzipZeros), maxOutputBytes: 100_000)
        }
        #expect(try Decompressor.gunzip(RecordBatchFixtures.bytes(RecordBatchFixtures.gzipZeros), maxOutputBytes: 200_000).count == 200_000)
        #expect(throws: DecompressionError.self) {
            try Decompressor.unzstd(RecordBatchFixtures.bytes(RecordBatchFixtures.zstdZeros), maxOutputBytes: 1_000_000)
        }
    }

    @Test func truncatedOrEmptyStreamsAreCorrupt() {
        let gzip = RecordBatchFixtures.bytes(RecordBatchFixtures.gzipCLI)
        let zstd = RecordBatchFixtures.bytes(RecordBatchFixtures.zstdCLI)
        for input in [[], Array(gzip.dropLast(10)), [0x1F, 0x8B, 0x08]] {
            #expect(throws: DecompressionError.self) { try Decompressor.gunzip(input, maxOutputBytes: 10_000) }
        }
        for input in [[], Array(zstd.dropLast(3)), [0x28, 0xB5, 0x2F, 0xFD]] {
            #expect(throws: DecompressionError.self) { try Decompressor.unzstd(input, maxOutputBytes: 10_000) }
        }
    }
}

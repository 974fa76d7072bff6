import Testing

@testable import SluiceKafka

@Suite struct CompressionTests {
    static let plain = Array(String(repeating: "hello kafka ", count: 50).utf8)
    static let bytes = RecordBatchFixtures.bytes
    static let libraries = CodecLibraries.system

    @Test(.enabled(if: libraries.zlib != nil, "needs libz.so.1")) func gunzipsTheGzipCLIsOutput() throws {
        #expect(try Decompressor.gunzip(Self.bytes(RecordBatchFixtures.gzipCLI), maxOutputBytes: 600) == Self.plain)
    }

    @Test(.enabled(if: libraries.zstd != nil, "needs libzstd.so.1")) func unzstdsTheZstdCLIsOutput() throws {
        #expect(try Decompressor.unzstd(Self.bytes(RecordBatchFixtures.zstdCLI), maxOutputBytes: 600) == Self.plain)
    }

    @Test(.enabled(if: libraries.lz4 != nil, "needs liblz4.so.1")) func unlz4sTheLz4CLIsOutput() throws {
        #expect(try Decompressor.unlz4(Self.bytes(RecordBatchFixtures.lz4CLI), maxOutputBytes: 600) == Self.plain)
        // Two frames back to back are one stream, as two gzip members are.
        let twice = Self.bytes(RecordBatchFixtures.lz4CLI) + Self.bytes(RecordBatchFixtures.lz4CLI)
        #expect(try Decompressor.unlz4(twice, maxOutputBytes: 1200) == Self.plain + Self.plain)
    }

    @Test func unsnappiesSnappyJavaFramingAndARawBlock() throws {
        #expect(
            try Decompressor.unsnappy(Self.bytes(RecordBatchFixtures.snappyXerial), maxOutputBytes: 600) == Self.plain)
        #expect(
            try Decompressor.unsnappy(Self.bytes(RecordBatchFixtures.snappyBlock), maxOutputBytes: 600) == Self.plain)
    }

    /// Copies with 2- and 4-byte offsets (the Python encoder only makes them for large inputs), an overlapping copy
    /// and a literal whose length takes an extra byte.
    @Test func snappyCopiesOfEveryOffsetWidth() throws {
        let abcd = Array("abcd".utf8)
        #expect(
            try Decompressor.unsnappy([12, 0x0C] + abcd + [0x1E, 0x04, 0x00], maxOutputBytes: 100)
                == abcd + abcd + abcd)
        #expect(
            try Decompressor.unsnappy([12, 0x0C] + abcd + [0x1F, 0x04, 0x00, 0x00, 0x00], maxOutputBytes: 100)
                == abcd + abcd + abcd)
        #expect(
            try Decompressor.unsnappy([10, 0x00, 0x61, 0x15, 0x01], maxOutputBytes: 100)
                == Array(repeating: 0x61, count: 10))
        let long = (0..<100).map { UInt8($0) }
        #expect(try Decompressor.unsnappy([100, 60 << 2, 99] + long, maxOutputBytes: 100) == long)
    }

    @Test func outputOneByteOverTheCapIsRefused() {
        for (codec, fixture) in [
            ("gzip", RecordBatchFixtures.gzipCLI), ("zstd", RecordBatchFixtures.zstdCLI),
            ("lz4", RecordBatchFixtures.lz4CLI), ("snappy", RecordBatchFixtures.snappyXerial),
            ("snappy", RecordBatchFixtures.snappyBlock),
        ] where Self.isAvailable(codec) {
            #expect(throws: DecompressionError.self, "\(codec)") {
                try Self.decompress(codec, Self.bytes(fixture), maxOutputBytes: 599)
            }
        }
    }

    @Test(.enabled(if: libraries.available.count == 3, "needs zlib, libzstd and liblz4"))
    func bombsStopAtTheCap() throws {
        #expect(throws: DecompressionError.self) {
            try Decompressor.gunzip(Self.bytes(RecordBatchFixtures.gzipZeros), maxOutputBytes: 100_000)
        }
        #expect(
            try Decompressor.gunzip(Self.bytes(RecordBatchFixtures.gzipZeros), maxOutputBytes: 200_000).count == 200_000
        )
        #expect(throws: DecompressionError.self) {
            try Decompressor.unzstd(Self.bytes(RecordBatchFixtures.zstdZeros), maxOutputBytes: 1_000_000)
        }
        #expect(throws: DecompressionError.self) {
            try Decompressor.unlz4(Self.bytes(RecordBatchFixtures.lz4Zeros), maxOutputBytes: 100_000)
        }
        #expect(
            try Decompressor.unlz4(Self.bytes(RecordBatchFixtures.lz4Zeros), maxOutputBytes: 200_000).count == 200_000)
    }

    /// A raw block stating 4 GiB is refused before anything is allocated; framed blocks that each fit but add up
    /// past the cap are refused too.
    @Test func snappyBombsStopAtTheCap() throws {
        #expect(throws: DecompressionError.tooLarge(limit: 1 << 20)) {
            try Decompressor.unsnappy([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x00], maxOutputBytes: 1 << 20)
        }
        // One zero, then copies of 64 bytes from one byte back: 1 + 64 × 1000 = 64,001 zeros in 3,007 bytes.
        var zeros: [UInt8] = [0x81, 0xF4, 0x03, 0x00, 0x00]
        for _ in 0..<1000 { zeros += [0xFE, 0x01, 0x00] }
        #expect(try Decompressor.unsnappy(zeros, maxOutputBytes: 64_001) == Array(repeating: 0, count: 64_001))
        var framed = Snappy.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1]
        for _ in 0..<20 { framed += [0x00, 0x00, 0x0B, 0xBD] + zeros }
        #expect(throws: DecompressionError.tooLarge(limit: 1_000_000)) {
            try Decompressor.unsnappy(framed, maxOutputBytes: 1_000_000)
        }
        #expect(try Decompressor.unsnappy(framed, maxOutputBytes: 20 * 64_001).count == 20 * 64_001)
    }

    @Test(.enabled(if: libraries.available.count == 3, "needs zlib, libzstd and liblz4"))
    func truncatedOrEmptyStreamsAreCorrupt() {
        let gzip = Self.bytes(RecordBatchFixtures.gzipCLI)
        let zstd = Self.bytes(RecordBatchFixtures.zstdCLI)
        let lz4 = Self.bytes(RecordBatchFixtures.lz4CLI)
        for input in [[], Array(gzip.dropLast(10)), [0x1F, 0x8B, 0x08]] {
            #expect(throws: DecompressionError.self) { try Decompressor.gunzip(input, maxOutputBytes: 10_000) }
        }
        for input in [[], Array(zstd.dropLast(3)), [0x28, 0xB5, 0x2F, 0xFD]] {
            #expect(throws: DecompressionError.self) { try Decompressor.unzstd(input, maxOutputBytes: 10_000) }
        }
        for length in 0..<lz4.count {
            #expect(throws: DecompressionError.self, "lz4 cut at \(length)") {
                try Decompressor.unlz4(Array(lz4.prefix(length)), maxOutputBytes: 10_000)
            }
        }
    }

    /// Every prefix of a snappy stream either fails or, for framing cut between blocks, yields a prefix of the
    /// data: never a crash, never bytes that were not sent.
    @Test func snappyCutAtEveryByteFailsOrYieldsAPrefix() {
        for fixture in [RecordBatchFixtures.snappyXerial, RecordBatchFixtures.snappyBlock] {
            let input = Self.bytes(fixture)
            for length in 0..<input.count {
                guard let output = try? Decompressor.unsnappy(Array(input.prefix(length)), maxOutputBytes: 10_000)
                else { continue }
                #expect(
                    output.count < Self.plain.count && Array(Self.plain.prefix(output.count)) == output,
                    "cut at \(length)")
            }
        }
        #expect(throws: DecompressionError.self) { try Decompressor.unsnappy([], maxOutputBytes: 10) }
        // A copy reaching back before the start, and one reaching past the stated length.
        #expect(throws: DecompressionError.self) { try Decompressor.unsnappy([4, 0x01, 0x05], maxOutputBytes: 10) }
        #expect(throws: DecompressionError.self) {
            try Decompressor.unsnappy([5, 0x00, 0x61, 0x1D, 0x01], maxOutputBytes: 10)
        }
    }

    /// A machine without a codec's library answers its batches UNSUPPORTED_COMPRESSION_TYPE, saying which
    /// library is missing; snappy needs none.
    @Test func aMissingLibraryIsUnavailable() throws {
        let none = CodecLibraries(
            zlib: ["libsluice-absent-z.so"], zstd: ["libsluice-absent-zstd.so"],
            lz4: ["libsluice-absent-lz4.so"])
        #expect(none.zlib == nil && none.zstd == nil && none.lz4 == nil && none.available.isEmpty)
        let gzip = Self.bytes(RecordBatchFixtures.gzipCLI)
        gzip.withUnsafeBytes { input in
            _ = #expect(throws: DecompressionError.unavailable("gzip needs zlib (libz.so.1), which is not installed")) {
                try Decompressor.gunzip(input, maxOutputBytes: 600, libraries: none)
            }
        }
    }

    static func isAvailable(_ codec: String) -> Bool {
        switch codec {
        case "gzip": libraries.zlib != nil
        case "zstd": libraries.zstd != nil
        case "lz4": libraries.lz4 != nil
        default: true
        }
    }

    static func decompress(_ codec: String, _ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8]
    {
        switch codec {
        case "gzip": try Decompressor.gunzip(input, maxOutputBytes: maxOutputBytes)
        case "zstd": try Decompressor.unzstd(input, maxOutputBytes: maxOutputBytes)
        case "lz4": try Decompressor.unlz4(input, maxOutputBytes: maxOutputBytes)
        default: try Decompressor.unsnappy(input, maxOutputBytes: maxOutputBytes)
        }
    }
}

import CCodecs

/// The compression libraries of one machine, opened at run time: zlib (gzip), libzstd and liblz4.
///
/// Building Sluice needs none of their development files, and running it needs none of them installed: a codec
/// whose library cannot be opened is `nil` here, and a batch that needs it is answered UNSUPPORTED_COMPRESSION_TYPE.
/// Snappy needs no library (`Snappy` decodes it). Each library is tried by the file names given, in order; what
/// `system` finds is decided once, on first use. Every function pointer of a table held here is set (the C side
/// opens a library only when it resolves all of them), so callers unwrap them with `!`.
final class CodecLibraries: @unchecked Sendable {  // Immutable after init: the tables are only read.
    let zlib: sluice_zlib?
    let zstd: sluice_zstd?
    let lz4: sluice_lz4?

    #if canImport(Darwin)
        static let system = CodecLibraries(zlib: ["libz.1.dylib"], zstd: ["libzstd.1.dylib"], lz4: ["liblz4.1.dylib"])
    #else
        static let system = CodecLibraries(zlib: ["libz.so.1"], zstd: ["libzstd.so.1"], lz4: ["liblz4.so.1"])
    #endif

    /// What zlib's `inflateInit2` macro passes: zlib checks the major version and the stream's size.
    static let zlibVersion = "1.2.11"
    static let zStreamSize = Int32(MemoryLayout<sluice_z_stream>.size)

    init(zlib zlibNames: [String], zstd zstdNames: [String], lz4 lz4Names: [String]) {
        zlib = Self.open(zlibNames, sluice_zlib(), sluice_zlib_open)
        zstd = Self.open(zstdNames, sluice_zstd(), sluice_zstd_open)
        lz4 = Self.open(lz4Names, sluice_lz4(), sluice_lz4_open)
    }

    /// Which of the codecs that need a library this machine can decode, for logs and docs.
    var available: [KafkaCompression] {
        [(KafkaCompression.gzip, zlib != nil), (.lz4, lz4 != nil), (.zstd, zstd != nil)].compactMap { $1 ? $0 : nil }
    }

    private static func open<Table>(
        _ names: [String], _ empty: Table,
        _ open: (UnsafeMutablePointer<Table>, UnsafePointer<CChar>) -> Int32
    ) -> Table? {
        for name in names {
            var table = empty
            if open(&table, name) == 0 { return table }
        }
        return nil
    }
}

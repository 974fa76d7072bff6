import CZlib
import CZstd

/// The compression codec of a RecordBatch (attribute bits 0–2).
public enum KafkaCompression: Int16, Sendable, Hashable {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4
}

/// Why a compressed payload could not be expanded.
enum DecompressionError: Error {
    /// The output would exceed the cap: a zip bomb, or simply too big.
    case tooLarge(limit: Int)
    /// The library rejected the input, or it ended before the stream did.
    case corrupt(String)
}

/// Bounded, streaming decompression of record payloads with the system zlib and libzstd.
///
/// Output grows in chunks and stops with `.tooLarge` the moment it would pass `maxOutputBytes`, so a small
/// hostile input can never make it allocate more than the cap (plus one chunk).
enum Decompressor {
    static let chunkSize = 64 * 1024

    static func gunzip(_ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: a gzip or zlib header, detected automatically.
        guard czlib_inflate_init2(&stream, 15 + 32) == Z_OK else { throw .corrupt("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var input = input
        let result: Result<Void, DecompressionError> = input.withUnsafeMutableBufferPointer { inputPointer in
            stream.next_in = inputPointer.baseAddress
            stream.avail_in = UInt32(inputPointer.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                if output.count + produced > maxOutputBytes { return .failure(.tooLarge(limit: maxOutputBytes)) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Concatenated gzip members: start the next one if input remains.
                    if stream.avail_in == 0 { return .success(()) }
                    guard inflateReset(&stream) == Z_OK else { return .failure(.corrupt("inflateReset failed")) }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where produced == 0 && stream.avail_in == 0:
                    return .failure(.corrupt("gzip stream ends early"))
                case Z_BUF_ERROR:
                    continue
                default:
                    return .failure(.corrupt("inflate failed (\(status))"))
                }
            }
        }
        try result.get()
        return output
    }

    static func unzstd(_ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8] {
        guard let context = ZSTD_createDCtx() else { throw .corrupt("ZSTD_createDCtx failed") }
        defer { ZSTD_freeDCtx(context) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        let result: Result<Void, DecompressionError> = input.withUnsafeBytes { inputPointer in
            var inBuffer = ZSTD_inBuffer(src: inputPointer.baseAddress, size: inputPointer.count, pos: 0)
            var lastReturn = 0
            while true {
                let (ret, produced) = chunk.withUnsafeMutableBytes { out in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let ret = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return (ret, outBuffer.pos)
                }
                if ZSTD_isError(ret) != 0 {
                    return .failure(.corrupt(String(cString: ZSTD_getErrorName(ret))))
                }
                if output.count + produced > maxOutputBytes { return .failure(.tooLarge(limit: maxOutputBytes)) }
                output.append(contentsOf: chunk[0..<produced])
                lastReturn = ret
                if inBuffer.pos == inBuffer.size && produced < chunk.count {
                    // All input consumed and the output was not full: done, unless a frame is unfinished.
                    return lastReturn == 0 ? .success(()) : .failure(.corrupt("zstd stream ends early"))
                }
            }
        }
        try result.get()
        return output
    }
}

import CZlib
import CZstd
import NIOCore

/// The compression codec of a RecordBatch (attribute bits 0–2).
package enum KafkaCompression: Int16, Sendable, Hashable {
    case uncompressed = 0
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
/// Output is written straight into a `ByteBuffer` in chunks, and the library is never offered more room than
/// one byte past `maxOutputBytes`: a small hostile input cannot make it allocate more than the cap plus a chunk.
enum Decompressor {
    static let chunkSize = 64 * 1024

    /// Runs `step` until it reports the end, handing it at most `chunkSize` bytes of room at a time and never
    /// more than one byte past the cap. `step` returns the bytes it wrote and whether the stream is finished.
    private static func drain(
        maxOutputBytes: Int, sizeHint: Int,
        _ step: (UnsafeMutableRawBufferPointer) -> Result<(written: Int, finished: Bool), DecompressionError>
    ) throws(DecompressionError) -> ByteBuffer {
        var output = ByteBufferAllocator().buffer(capacity: min(maxOutputBytes + 1, max(sizeHint, 1024)))
        while true {
            let room = min(chunkSize, maxOutputBytes + 1 - output.readableBytes)
            var outcome: Result<(written: Int, finished: Bool), DecompressionError> = .success((0, false))
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { pointer in
                outcome = step(UnsafeMutableRawBufferPointer(rebasing: pointer[0..<room]))
                return (try? outcome.get().written) ?? 0
            }
            let (_, finished) = try outcome.get()
            if output.readableBytes > maxOutputBytes { throw .tooLarge(limit: maxOutputBytes) }
            if finished { return output }
        }
    }

    static func gunzip(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(DecompressionError) -> ByteBuffer {
        var stream = z_stream()
        // 15 + 32: a gzip or zlib header, detected automatically.
        guard czlib_inflate_init2(&stream, 15 + 32) == Z_OK else { throw .corrupt("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(input.count)
        return try drain(maxOutputBytes: maxOutputBytes, sizeHint: input.count * 4) { out in
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(out.count)
            let status = inflate(&stream, Z_NO_FLUSH)
            let written = out.count - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                // Concatenated gzip members: start the next one if input remains.
                if stream.avail_in == 0 { return .success((written, true)) }
                guard inflateReset(&stream) == Z_OK else { return .failure(.corrupt("inflateReset failed")) }
                return .success((written, false))
            case Z_OK:
                return .success((written, false))
            case Z_BUF_ERROR where written == 0:
                // No progress possible with room to write: the input ended early.
                return .failure(.corrupt("gzip stream ends early"))
            case Z_BUF_ERROR:
                return .success((written, false))
            default:
                return .failure(.corrupt("inflate failed (\(status))"))
            }
        }
    }

    static func unzstd(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(DecompressionError) -> ByteBuffer {
        guard let context = ZSTD_createDCtx() else { throw .corrupt("ZSTD_createDCtx failed") }
        defer { ZSTD_freeDCtx(context) }
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        return try drain(maxOutputBytes: maxOutputBytes, sizeHint: input.count * 4) { out in
            var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(hint) != 0 { return .failure(.corrupt(String(cString: ZSTD_getErrorName(hint)))) }
            // All input consumed and room left over: done, unless a frame is unfinished.
            if inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size {
                return hint == 0 ? .success((outBuffer.pos, true)) : .failure(.corrupt("zstd stream ends early"))
            }
            return .success((outBuffer.pos, false))
        }
    }

    /// Convenience for tests: decompress an array.
    static func gunzip(_ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8] {
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(DecompressionError) in try gunzip(bytes, maxOutputBytes: maxOutputBytes) }
        }
        return Array(try result.get().readableBytesView)
    }

    static func unzstd(_ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8] {
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(DecompressionError) in try unzstd(bytes, maxOutputBytes: maxOutputBytes) }
        }
        return Array(try result.get().readableBytesView)
    }
}

import CCodecs
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
enum DecompressionError: Error, Equatable {
    /// The output would exceed the cap: a zip bomb, or simply too big.
    case tooLarge(limit: Int)
    /// The library rejected the input, or it ended before the stream did.
    case corrupt(String)
    /// The codec's library is not installed on this machine (see `CodecLibraries`).
    case unavailable(String)
}

/// Bounded, streaming decompression of record payloads with the zlib, libzstd and liblz4 found at run time
/// (`CodecLibraries`), and snappy in Swift (`Snappy`).
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

    static func gunzip(
        _ input: UnsafeRawBufferPointer, maxOutputBytes: Int,
        libraries: CodecLibraries = .system
    ) throws(DecompressionError) -> ByteBuffer {
        guard let zlib = libraries.zlib else {
            throw .unavailable("gzip needs zlib (libz.so.1), which is not installed")
        }
        var stream = sluice_z_stream()
        // 15 + 32: a gzip or zlib header, detected automatically.
        guard
            zlib.inflateInit2_!(&stream, 15 + 32, CodecLibraries.zlibVersion, CodecLibraries.zStreamSize)
                == SLUICE_Z_OK
        else { throw .corrupt("inflateInit2 failed") }
        defer { _ = zlib.inflateEnd!(&stream) }
        stream.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = UInt32(input.count)
        return try drain(maxOutputBytes: maxOutputBytes, sizeHint: input.count * 4) { out in
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(out.count)
            let status = zlib.inflate!(&stream, SLUICE_Z_NO_FLUSH)
            let written = out.count - Int(stream.avail_out)
            switch status {
            case SLUICE_Z_STREAM_END:
                // Concatenated gzip members: start the next one if input remains.
                if stream.avail_in == 0 { return .success((written, true)) }
                guard zlib.inflateReset!(&stream) == SLUICE_Z_OK else {
                    return .failure(.corrupt("inflateReset failed"))
                }
                return .success((written, false))
            case SLUICE_Z_OK:
                return .success((written, false))
            case SLUICE_Z_BUF_ERROR where written == 0:
                // No progress possible with room to write: the input ended early.
                return .failure(.corrupt("gzip stream ends early"))
            case SLUICE_Z_BUF_ERROR:
                return .success((written, false))
            default:
                return .failure(.corrupt("inflate failed (\(status))"))
            }
        }
    }

    static func unzstd(
        _ input: UnsafeRawBufferPointer, maxOutputBytes: Int,
        libraries: CodecLibraries = .system
    ) throws(DecompressionError) -> ByteBuffer {
        guard let zstd = libraries.zstd else {
            throw .unavailable("zstd needs libzstd (libzstd.so.1), which is not installed")
        }
        guard let context = zstd.createDCtx!() else { throw .corrupt("ZSTD_createDCtx failed") }
        defer { _ = zstd.freeDCtx!(context) }
        var inBuffer = sluice_zstd_in_buffer(src: input.baseAddress, size: input.count, pos: 0)
        return try drain(maxOutputBytes: maxOutputBytes, sizeHint: input.count * 4) { out in
            var outBuffer = sluice_zstd_out_buffer(dst: out.baseAddress, size: out.count, pos: 0)
            let hint = zstd.decompressStream!(context, &outBuffer, &inBuffer)
            if zstd.isError!(hint) != 0 {
                return .failure(.corrupt(zstd.getErrorName!(hint).map { String(cString: $0) } ?? "zstd error"))
            }
            // All input consumed and room left over: done, unless a frame is unfinished.
            if inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size {
                return hint == 0 ? .success((outBuffer.pos, true)) : .failure(.corrupt("zstd stream ends early"))
            }
            return .success((outBuffer.pos, false))
        }
    }

    /// LZ4's frame format (what Kafka's lz4 codec is since RecordBatch v2), one frame or several back to back.
    static func unlz4(
        _ input: UnsafeRawBufferPointer, maxOutputBytes: Int,
        libraries: CodecLibraries = .system
    ) throws(DecompressionError) -> ByteBuffer {
        guard let lz4 = libraries.lz4 else {
            throw .unavailable("lz4 needs liblz4 (liblz4.so.1), which is not installed")
        }
        var context: UnsafeMutableRawPointer?
        guard lz4.isError!(lz4.createDecompressionContext!(&context, UInt32(SLUICE_LZ4F_VERSION))) == 0, let context
        else {
            throw .corrupt("LZ4F_createDecompressionContext failed")
        }
        defer { _ = lz4.freeDecompressionContext!(context) }
        var consumed = 0
        return try drain(maxOutputBytes: maxOutputBytes, sizeHint: input.count * 4) { out in
            var written = out.count
            var taken = input.count - consumed
            let hint = lz4.decompress!(
                context, out.baseAddress, &written, input.baseAddress.map { $0 + consumed },
                &taken, nil)
            consumed += taken
            if lz4.isError!(hint) != 0 {
                return .failure(.corrupt(lz4.getErrorName!(hint).map { String(cString: $0) } ?? "lz4 error"))
            }
            let inputEnded = consumed == input.count
            // 0: a frame ended (the context is ready for the next one).
            if hint == 0 && inputEnded { return .success((written, true)) }
            if hint != 0 && inputEnded && written < out.count { return .failure(.corrupt("lz4 frame ends early")) }
            return .success((written, false))
        }
    }

    /// Kafka's snappy: snappy-java's framing or one plain block (`Snappy`).
    static func unsnappy(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(DecompressionError) -> ByteBuffer
    {
        try Snappy.decompress(input, maxOutputBytes: maxOutputBytes)
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

    static func unlz4(_ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8] {
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(DecompressionError) in try unlz4(bytes, maxOutputBytes: maxOutputBytes) }
        }
        return Array(try result.get().readableBytesView)
    }

    static func unsnappy(_ input: [UInt8], maxOutputBytes: Int) throws(DecompressionError) -> [UInt8] {
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(DecompressionError) in try unsnappy(bytes, maxOutputBytes: maxOutputBytes) }
        }
        return Array(try result.get().readableBytesView)
    }
}

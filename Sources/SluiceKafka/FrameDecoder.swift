import NIOCore

/// Splits a Kafka byte stream into frames: an int32 size, then that many bytes (the header and the body).
///
/// Yields each frame without its size prefix, as a slice of the input, once it has fully arrived. A negative size
/// or one above `maxFrameSize` throws `KafkaFrameError.invalidSize` as soon as the prefix is read, before any of
/// the frame is buffered. At end of input, a partial frame throws `KafkaFrameError.truncated`.
package struct KafkaFrameDecoder: ByteToMessageDecoder, Sendable {
    package typealias InboundOut = ByteBuffer

    /// The largest frame accepted, in bytes (the prefix not counted).
    package let maxFrameSize: Int

    /// Default `maxFrameSize`: Kafka's `socket.request.max.bytes` (100 MiB).
    package static let defaultMaxFrameSize = 104_857_600

    package init(maxFrameSize: Int = KafkaFrameDecoder.defaultMaxFrameSize) {
        precondition(maxFrameSize >= 0 && maxFrameSize <= Int(Int32.max), "maxFrameSize must fit an int32")
        self.maxFrameSize = maxFrameSize
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    package mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        if let frame = try nextFrame(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
            return .continue
        }
        if seenEOF && buffer.readableBytes > 0 { throw KafkaFrameError.truncated(bytes: buffer.readableBytes) }
        return .needMoreData
    }

    /// The next complete frame in `buffer`, or `nil` when more bytes are needed; usable without a pipeline.
    package func nextFrame(_ buffer: inout ByteBuffer) throws(KafkaFrameError) -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return nil
        }
        guard size >= 0, Int(size) <= maxFrameSize else {
            throw .invalidSize(size: size, limit: maxFrameSize)
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}

/// Why a Kafka byte stream cannot be split into frames; the connection must be closed.
package enum KafkaFrameError: Error, Sendable, Hashable {
    /// The size prefix is negative or over the limit.
    case invalidSize(size: Int32, limit: Int)
    /// The stream ended inside a frame.
    case truncated(bytes: Int)
}

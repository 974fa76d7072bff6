import NIOCore
import SluiceCore

/// Splits a byte stream into frame bodies: each frame is a big-endian `uint32` length and that many bytes.
///
/// Yields each body (the length prefix stripped) as a slice of the input, without copying, once all of it has
/// arrived; input may be split anywhere. A length above `maxFrameSize` throws `.frameTooLarge` as soon as the prefix
/// is read, before any of the body is buffered. An incomplete frame at end of input throws `.connectionClosed`.
///
/// Use it in a pipeline as `ByteToMessageHandler(FrameDecoder())`, or outside one with
/// `NIOSingleStepByteToMessageProcessor`.
package struct FrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    package typealias InboundOut = ByteBuffer

    /// 16 MiB of payload plus 1 KiB for headers and field overhead.
    package static let defaultMaxFrameSize = (16 << 20) + 1024

    /// The largest body accepted, in bytes (the 4-byte prefix not counted).
    package let maxFrameSize: Int

    package init(maxFrameSize: Int = FrameDecoder.defaultMaxFrameSize) {
        precondition(maxFrameSize >= 0 && maxFrameSize <= Int(UInt32.max), "maxFrameSize must fit a uint32")
        self.maxFrameSize = maxFrameSize
    }

    package mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        let bodySize = Int(length)
        if bodySize > maxFrameSize {
            throw SluiceError(.frameTooLarge, "frame of \(bodySize) bytes exceeds the limit of \(maxFrameSize)")
        }
        guard buffer.readableBytes >= 4 + bodySize else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: bodySize)
    }

    /// Yields the frames still complete in `buffer`; then, at end of input, throws `.connectionClosed` if part of
    /// a frame is left.
    package mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if seenEOF && buffer.readableBytes > 0 {
            throw SluiceError(
                .connectionClosed, "connection closed with \(buffer.readableBytes) bytes of an incomplete frame")
        }
        return nil
    }
}

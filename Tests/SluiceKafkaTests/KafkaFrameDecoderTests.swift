import NIOCore
import NIOEmbedded
import SluiceKafka
import Testing

@Suite struct KafkaFrameDecoderTests {
    static let bodies: [ByteBuffer] = [ByteBuffer(bytes: [1, 2, 3]), ByteBuffer(), ByteBuffer(bytes: Array(0..<100))]

    static var stream: ByteBuffer {
        var stream = ByteBuffer()
        for body in bodies {
            stream.writeInteger(Int32(body.readableBytes))
            stream.writeImmutableBuffer(body)
        }
        return stream
    }

    func decode(_ pieces: [ByteBuffer], maxFrameSize: Int = 1000) throws -> [ByteBuffer] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
        var frames: [ByteBuffer] = []
        for piece in pieces {
            try channel.writeInbound(piece)
            while let frame = try channel.readInbound(as: ByteBuffer.self) { frames.append(frame) }
        }
        _ = try channel.finish()
        return frames
    }

    @Test func splitInTwoAtEveryByteBoundary() throws {
        let stream = Self.stream
        for split in 0...stream.readableBytes {
            let pieces = [
                stream.getSlice(at: 0, length: split)!,
                stream.getSlice(at: split, length: stream.readableBytes - split)!,
            ]
            #expect(try decode(pieces) == Self.bodies, "split at \(split)")
        }
    }

    @Test func oneByteAtATime() throws {
        let stream = Self.stream
        #expect(try decode((0..<stream.readableBytes).map { stream.getSlice(at: $0, length: 1)! }) == Self.bodies)
    }

    @Test func negativeAndOversizedSizesAreRejectedFromThePrefixAlone() throws {
        #expect(throws: KafkaFrameError.invalidSize(size: -1, limit: 1000)) {
            try decode([ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])])
        }
        #expect(throws: KafkaFrameError.invalidSize(size: 1001, limit: 1000)) {
            try decode([ByteBuffer(bytes: [0, 0, 0x03, 0xE9])])
        }
        let frames = try decode([ByteBuffer(bytes: [0, 0, 0x03, 0xE8] + [UInt8](repeating: 7, count: 1000))])
        #expect(frames.count == 1)
    }

    @Test func aPartialFrameAtEndOfInputIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 5, 1, 2]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(throws: KafkaFrameError.truncated(bytes: 6)) { try channel.finish() }
    }
}

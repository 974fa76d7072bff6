import NIOCore
import NIOEmbedded
import SluiceCore
import SluiceProtocol
import Testing

@Suite struct FrameDecoderTests {
    /// Three frames back to back, one of them with an empty body.
    static let bodies: [ByteBuffer] = [
        ByteBuffer(bytes: [1, 2, 3, 4, 5]),
        ByteBuffer(),
        ByteBuffer(bytes: Array(0..<200)),
    ]

    static var stream: ByteBuffer {
        var stream = ByteBuffer()
        for body in bodies {
            stream.writeInteger(UInt32(body.readableBytes))
            stream.writeImmutableBuffer(body)
        }
        return stream
    }

    private func decode(_ pieces: [ByteBuffer], maxFrameSize: Int = FrameDecoder.defaultMaxFrameSize) throws
        -> [ByteBuffer]
    {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)))
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
        let pieces = (0..<stream.readableBytes).map { stream.getSlice(at: $0, length: 1)! }
        #expect(try decode(pieces) == Self.bodies)
    }

    @Test func aBodyIsNotYieldedBeforeItHasFullyArrived() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 3, 0xAA, 0xBB]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: [0xCC]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0xAA, 0xBB, 0xCC]))
        #expect(try channel.finish().isClean)
    }

    @Test func aFrameAtTheLimitIsAccepted() throws {
        var stream = ByteBuffer(bytes: [0, 0, 0, 16])
        stream.writeBytes(Array(repeating: 7, count: 16))
        #expect(try decode([stream], maxFrameSize: 16) == [ByteBuffer(bytes: Array(repeating: 7, count: 16))])
    }

    @Test func anOversizedFrameThrowsOnceTheLengthIsKnown() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameSize: 16)))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0]))
        #expect {
            try channel.writeInbound(ByteBuffer(bytes: [17]))
        } throws: { error in
            let error = error as? SluiceError
            return error == SluiceError(.frameTooLarge, "frame of 17 bytes exceeds the limit of 16")
        }
    }

    @Test func aHugeLengthWithTheDefaultLimitThrowsWithoutWaitingForTheBody() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        #expect(throws: SluiceError.self) { try channel.writeInbound(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])) }
    }

    @Test func aPartialFrameAtEndOfInputIsReported() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 9, 1]))
        #expect {
            _ = try channel.finish()
        } throws: { error in
            (error as? SluiceError)?.code == .connectionClosed
        }
    }

    @Test func worksWithoutAChannel() throws {
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var frames: [ByteBuffer] = []
        let stream = Self.stream
        try processor.process(buffer: stream.getSlice(at: 0, length: 7)!) { frames.append($0) }
        try processor.process(buffer: stream.getSlice(at: 7, length: stream.readableBytes - 7)!) { frames.append($0) }
        #expect(frames == Self.bodies)
    }
}

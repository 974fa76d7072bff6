import Logging
import NIOCore
import SluiceCore
import SluiceKafka
import SluiceProtocol

/// Cuts the frames of one protocol out of a byte stream: the next whole frame body, or nil until more bytes came.
/// Throws when the stream cannot be framed (a size over the limit); the connection is then closed.
protocol FrameCutting {
    mutating func nextFrame(_ buffer: inout ByteBuffer) throws -> ByteBuffer?
}

extension FrameDecoder: FrameCutting {
    mutating func nextFrame(_ buffer: inout ByteBuffer) throws -> ByteBuffer? { try decode(buffer: &buffer) }
}

extension KafkaFrameDecoder: FrameCutting {}

/// Cuts a connection's bytes into frames (with `FrameDecoder` on the native socket, `KafkaFrameDecoder` on the
/// Kafka listener) within the memory budget and a time limit.
///
/// In place of NIO's `ByteToMessageHandler`: the bytes of the frame being received count against the connection's
/// share of the `MemoryBudget`, and the connection is not read while the budget says so (`ConnectionBytes.mayRead`).
/// A frame must arrive whole within `partialFrameTimeout` of its first byte: one timer runs while a frame is
/// unfinished, and none while the connection is idle. Time the server itself holds the connection unread (its
/// answers not being read, too many requests in flight) does not count. An expired frame closes the connection
/// with a warning and, where the protocol has one (`timeoutNotice`), an error frame: a connection-level `timeout`
/// error on the native socket; Kafka has none.
///
/// A native frame longer than the decoder's limit is answered with a connection-level `frame_too_large` error, then
/// the server closes its side for writing and goes on reading, dropping what it reads, until the refused frame has
/// been read, the client closes, `maxDiscardBytes` were dropped or `partialFrameTimeout` passed; then it closes. A
/// client still writing the frame thus finishes its write instead of failing with `EPIPE`, and reads the answer
/// followed by end of stream (the lingering close of HTTP servers). A Kafka frame over the limit (Kafka has no
/// error frame) closes the connection at once, as a Kafka broker does.
final class FrameReader: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var decoder: any FrameCutting
    private let bytes: ConnectionBytes
    private let partialFrameTimeout: TimeAmount
    private let logger: Logger
    /// Writes what the peer is told before a connection whose frame is late is closed; nil tells it nothing.
    private let timeoutNotice: ((SluiceError, inout ByteBuffer) -> Void)?
    /// Received bytes not yet passed on: at most one unfinished frame between reads.
    private var buffer: ByteBuffer?
    private var deadline: Scheduled<Void>?
    /// A read was asked for and not yet forwarded, because of the budget.
    private var readHeld = false
    /// A read was forwarded and its bytes have not all arrived (`channelReadComplete` ends it).
    private var readPending = false
    private var waitingForBudget = false
    private var failed = false
    /// Bytes of a refused frame still to be read and dropped before the connection closes; nil while not refusing.
    private var discarding: Int?

    /// The most bytes of a refused frame read and dropped before closing.
    static let maxDiscardBytes = 256 << 20

    init(
        decoder: any FrameCutting, bytes: ConnectionBytes, partialFrameTimeout: TimeAmount, logger: Logger,
        timeoutNotice: ((SluiceError, inout ByteBuffer) -> Void)? = { error, frame in
            Response.encodeErrorFrame(correlationID: Response.connectionErrorCorrelationID, error: error, into: &frame)
        }
    ) {
        self.decoder = decoder
        self.timeoutNotice = timeoutNotice
        self.bytes = bytes
        self.partialFrameTimeout = partialFrameTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        bytes.whenReleased = {
            let (handler, context) = bound.value
            handler.resumeReading(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if discarding != nil { return discard(input.readableBytes, context: context) }
        guard !failed else { return }
        if buffer == nil { buffer = input } else { buffer!.writeBuffer(&input) }
        var completed = false
        do {
            while let frame = try decoder.nextFrame(&buffer!) {
                completed = true
                context.fireChannelRead(wrapInboundOut(frame))
                if failed || buffer == nil { return }
            }
        } catch {
            failed = true
            if let refused = error as? SluiceError, refused.code == .frameTooLarge, let buffer,
                let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self)
            {
                let received = buffer.readableBytes - 4
                dropBuffer()
                return refuse(refused, unread: Int(length) - received, context: context)
            }
            dropBuffer()
            context.fireErrorCaught(error)
            return
        }
        if buffer!.readableBytes == 0 {
            dropBuffer()
        } else {
            if buffer!.readerIndex > 0 { buffer!.discardReadBytes() }
            bytes.setPartialFrame(buffer!.readableBytes)
            if completed || deadline == nil { armDeadline(context: context) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readPending = false
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let buffer, buffer.readableBytes > 0, !failed {
            logger.debug("connection closed mid-frame", metadata: ["bytes": "\(buffer.readableBytes)"])
        }
        failed = true
        dropBuffer()
        bytes.whenReleased = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        bytes.whenReleased = nil
    }

    // MARK: - Reading within the budget

    func read(context: ChannelHandlerContext) {
        // What a refused frame still sends is dropped as it arrives: it holds no memory.
        if discarding != nil { return context.read() }
        readHeld = true
        resumeReading(context: context)
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard readHeld else { return }
        var wake: (@Sendable () -> Void)?
        if !waitingForBudget {
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            wake = {
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.waitingForBudget = false
                    handler.resumeReading(context: context)
                }
            }
        }
        switch bytes.mayRead(orWake: wake) {
        case .read:
            readHeld = false
            readPending = true
            context.read()
        case .overOwnShare:
            break  // `whenReleased` calls again.
        case .overServerBudget:
            if wake != nil { waitingForBudget = true }
        }
    }

    // MARK: - The time limit

    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: partialFrameTimeout) {
            let (handler, context) = bound.value
            handler.deadlinePassed(context: context)
        }
    }

    private func deadlinePassed(context: ChannelHandlerContext) {
        deadline = nil
        guard let buffer, buffer.readableBytes > 0, !failed else { return }
        if !readPending && !readHeld {
            // The server is not reading this connection for reasons of its own (see `ConnectionHandler.read`):
            // the client is not to blame. Look again later.
            return armDeadline(context: context)
        }
        failed = true
        let seconds = Double(partialFrameTimeout.nanoseconds) / 1e9
        logger.warning(
            "closing a connection whose frame did not arrive in time",
            metadata: [
                "bytes": "\(buffer.readableBytes)", "timeout_s": "\(seconds)",
            ])
        dropBuffer()
        let error = SluiceError(.timeout, "a frame did not arrive whole within \(seconds) s")
        guard let timeoutNotice else { return context.close(promise: nil) }
        var frame = context.channel.allocator.buffer(capacity: 96)
        timeoutNotice(error, &frame)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: - Refusing a frame

    /// Answers a frame over the limit, closes the connection for writing and drops the frame's `unread` bytes as
    /// they arrive (at most `maxDiscardBytes`, within `partialFrameTimeout`) before closing.
    private func refuse(_ error: SluiceError, unread: Int, context: ChannelHandlerContext) {
        logger.debug("refusing a frame over the limit", metadata: ["message": "\(error.message)"])
        var frame = context.channel.allocator.buffer(capacity: 64 + error.message.utf8.count)
        Response.encodeErrorFrame(correlationID: Response.connectionErrorCorrelationID, error: error, into: &frame)
        let left = min(unread, Self.maxDiscardBytes)
        let channel = context.channel
        guard left > 0 else {
            context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        discarding = left
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { result in
            guard case .success = result else { return channel.close(promise: nil) }
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
        }
        deadline = context.eventLoop.scheduleTask(in: partialFrameTimeout) {
            channel.close(promise: nil)
        }
        context.read()
    }

    private func discard(_ count: Int, context: ChannelHandlerContext) {
        discarding! -= count
        if discarding! <= 0 {
            deadline?.cancel()
            deadline = nil
            context.close(promise: nil)
        }
    }

    private func dropBuffer() {
        buffer = nil
        deadline?.cancel()
        deadline = nil
        bytes.setPartialFrame(0)
    }
}

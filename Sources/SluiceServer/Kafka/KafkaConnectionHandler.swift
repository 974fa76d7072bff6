import Logging
import NIOCore
import SluiceKafka

/// One Kafka client connection: decodes each frame's header, hands the request to the dispatcher in the order
/// `KafkaRequestQueue` allows, and writes the answers in request order.
///
/// Runs on the connection's event loop; dispatcher completions hop back to it. The connection is not read while
/// `maxQueued` requests wait for an answer or the socket is not writable, so a client that never reads its responses
/// cannot make the server's memory grow. SASL requests go to the connection's `KafkaSASLSession`
/// (`KafkaConnectionHandler+SASL.swift`), which also says what may be sent before authentication.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: KafkaDispatcher
    private let maxQueued: Int
    let logger: Logger
    private var queue = KafkaRequestQueue<ByteBuffer>()
    private var waiting: [Int: (header: KafkaRequestHeader, request: KafkaRequest?)] = [:]
    var peer = KafkaDispatcher.Peer(host: "")
    var sasl: KafkaSASLSession
    private var readHeld = false
    private var flushScheduled = false

    init(dispatcher: KafkaDispatcher, maxQueued: Int, sasl: KafkaSASLSettings, logger: Logger) {
        self.dispatcher = dispatcher
        self.maxQueued = maxQueued
        self.sasl = KafkaSASLSession(settings: sasl)
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        peer.host = context.channel.remoteAddress?.ipAddress ?? ""
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if sasl.expectsRawToken { return authenticateRaw(token: unwrapInboundIn(data), context: context) }
        let decoded: (header: KafkaRequestHeader, request: KafkaRequest?)
        do {
            decoded = try KafkaRequest.decode(frame: unwrapInboundIn(data))
        } catch {
            // A request that cannot be read leaves the stream in doubt, and Kafka has no error frame for it:
            // close the connection, as a Kafka broker does.
            logger.debug("kafka request malformed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        if case .close(let reason) = sasl.admission(apiKey: decoded.header.apiKey) {
            logger.debug("kafka connection closed", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
            return
        }
        let id = queue.enqueue(overlaps: dispatcher.mayOverlap(decoded.request))
        waiting[id] = decoded
        startReady(context: context)
    }

    /// Starts what the queue allows, but nothing while the socket is not taking the answers already written: a client
    /// that does not read cannot make the server build more responses for it.
    private func startReady(context: ChannelHandlerContext) {
        guard context.channel.isWritable else { return }
        let allocator = context.channel.allocator
        let eventLoop = context.eventLoop
        for id in queue.startable() {
            guard let (header, request) = waiting.removeValue(forKey: id) else { continue }
            if let request, request.isSASL {
                authenticate(id, header: header, request: request, context: context)
                continue
            }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
            dispatcher.handle(header: header, request: request, peer: peer, allocator: allocator) { answer in
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.finished(id, answer: answer, context: context)
                }
            }
        }
    }

    func finished(_ id: Int, answer: KafkaAnswer, context: ChannelHandlerContext) {
        switch answer {
        case .response(let buffer):
            for due in queue.complete(id, answer: buffer) { send(context: context, due) }
        case .respondAndClose(let buffer, let reason):
            for due in queue.complete(id, answer: buffer) { send(context: context, due) }
            logger.debug("kafka connection closed", metadata: ["reason": "\(reason)"])
            closeAfterWrites(context: context)
            return
        case .none:
            for due in queue.complete(id, answer: nil) { send(context: context, due) }
        case .close(let reason):
            logger.debug("kafka connection closed", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
            return
        }
        startReady(context: context)
        resumeReadingIfDrained(context: context)
    }

    // MARK: - Back-pressure

    func read(context: ChannelHandlerContext) {
        if queue.count >= maxQueued || !context.channel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        startReady(context: context)
        resumeReadingIfDrained(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfDrained(context: ChannelHandlerContext) {
        if readHeld && queue.count < maxQueued && context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    /// Writes an answer and flushes once per turn of the event loop.
    private func send(context: ChannelHandlerContext, _ buffer: ByteBuffer) {
        guard context.channel.isActive else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if !flushScheduled {
            flushScheduled = true
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = bound.value
                handler.flushScheduled = false
                context.flush()
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Framing errors (an oversized or negative size, a stream cut mid-frame) end the connection.
        logger.debug("kafka connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// What the dispatcher made of one request.
enum KafkaAnswer: Sendable {
    /// A whole response frame to send in the request's turn.
    case response(ByteBuffer)
    /// Nothing to send (a produce with acks=0).
    case none
    /// The request cannot be answered (a version or API never advertised): close the connection, as Kafka does.
    case close(String)
    /// Send this frame in the request's turn, then close the connection (a failed SASL authentication).
    case respondAndClose(ByteBuffer, String)
}

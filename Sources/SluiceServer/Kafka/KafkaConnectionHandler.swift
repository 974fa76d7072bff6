import Logging
import NIOCore
import SluiceKafka
import Synchronization

/// One Kafka client connection: decodes each frame's header, hands the request to the dispatcher in the order
/// `KafkaRequestQueue` allows, and writes the answers in request order.
///
/// Runs on the connection's event loop; dispatcher completions hop back to it. The connection is not read while
/// `maxQueued` requests wait for an answer or the socket is not writable, so a client that never reads its responses
/// cannot make the server's memory grow. Every request holds its frame's bytes in the connection's share of the
/// memory budget (`ConnectionBytes`) until it is answered, and a produce its expanded batches too, so a connection
/// that sends requests faster than they are answered stops being read. SASL requests go to the connection's
/// `KafkaSASLSession` (`KafkaConnectionHandler+SASL.swift`), which also says what may be sent before
/// authentication.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: KafkaDispatcher
    private let maxQueued: Int
    var logger: Logger
    private var queue = KafkaRequestQueue<ByteBuffer>()
    private var waiting: [Int: (header: KafkaRequestHeader, request: KafkaRequest?, frameBytes: Int)] = [:]
    var peer = KafkaDispatcher.Peer(host: "")
    /// False while the peer's user is being looked up under an access policy: requests wait in the queue.
    private var identified = true
    var sasl: KafkaSASLSession
    private var readHeld = false
    private var flushScheduled = false
    /// The connection's share of the server's memory budget (nil: not counted).
    private let bytes: ConnectionBytes?
    /// Bytes each started request holds until it is answered: its frame, and what a produce expanded.
    private var holding: [Int: Int] = [:]
    /// Whether a JoinGroup came over this connection (its members' metadata is dropped when it closes).
    private var joined = false

    /// Numbers connections for the group coordinator, never reused.
    private static let connectionNumbers = Atomic<UInt64>(0)

    init(
        dispatcher: KafkaDispatcher, maxQueued: Int, sasl: KafkaSASLSettings, logger: Logger,
        bytes: ConnectionBytes? = nil
    ) {
        self.dispatcher = dispatcher
        self.maxQueued = maxQueued
        self.sasl = KafkaSASLSession(settings: sasl)
        self.logger = logger
        self.bytes = bytes
    }

    func channelActive(context: ChannelHandlerContext) {
        peer.host = context.channel.remoteAddress?.ipAddress ?? ""
        if let port = context.channel.remoteAddress?.port {
            peer.address = peer.host.contains(":") ? "[\(peer.host)]:\(port)" : "\(peer.host):\(port)"
        }
        peer.connection = Self.connectionNumbers.wrappingAdd(1, ordering: .relaxed).newValue
        if dispatcher.access != nil {
            identified = false
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            KafkaPeerIdentity.lookUp(
                local: context.channel.localAddress, remote: context.channel.remoteAddress, on: context.eventLoop
            ).whenSuccess { identity in
                let (handler, context) = bound.value
                handler.identify(identity, context: context)
            }
        }
        context.fireChannelActive()
    }

    private func identify(_ identity: PeerIdentity, context: ChannelHandlerContext) {
        // A SASL user, once authenticated, is the principal (requests wait for this lookup, so it comes first).
        if peer.saslUser == nil { peer.identity = identity }
        identified = true
        logger[metadataKey: "uid"] = "\(identity.isKnown ? "\(identity.uid)" : "unknown")"
        if context.channel.isActive { startReady(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        releaseWaiting()
        if joined { dispatcher.connectionClosed(peer) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if sasl.expectsRawToken { return authenticateRaw(token: unwrapInboundIn(data), context: context) }
        let frame = unwrapInboundIn(data)
        let decoded: (header: KafkaRequestHeader, request: KafkaRequest?)
        do {
            decoded = try KafkaRequest.decode(frame: frame)
        } catch {
            // A request that cannot be read leaves the stream in doubt, and Kafka has no error frame for it:
            // close the connection, as a Kafka broker does.
            var peek = frame
            let api = peek.readInteger(as: Int16.self).map { "\($0)" } ?? "?"
            let version = peek.readInteger(as: Int16.self).map { "\($0)" } ?? "?"
            logger.debug(
                "kafka request malformed",
                metadata: ["error": "\(error)", "api_key": "\(api)", "api_version": "\(version)"])
            context.close(promise: nil)
            return
        }
        if case .close(let reason) = sasl.admission(apiKey: decoded.header.apiKey) {
            logger.debug("kafka connection closed", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
            return
        }
        let id = queue.enqueue(overlaps: dispatcher.mayOverlap(decoded.request))
        let frameBytes = 4 + frame.readableBytes
        waiting[id] = (decoded.header, decoded.request, frameBytes)
        bytes?.addInFlight(frameBytes)
        if case .joinGroup = decoded.request { joined = true }
        startReady(context: context)
    }

    /// Starts what the queue allows, but nothing while the socket is not taking the answers already written: a client
    /// that does not read cannot make the server build more responses for it.
    private func startReady(context: ChannelHandlerContext) {
        guard identified, context.channel.isWritable else { return }
        let allocator = context.channel.allocator
        let eventLoop = context.eventLoop
        for id in queue.startable() {
            guard let (header, request, frameBytes) = waiting.removeValue(forKey: id) else { continue }
            holding[id] = frameBytes
            if let request, request.isSASL {
                authenticate(id, header: header, request: request, context: context)
                continue
            }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
            let expanded = dispatcher.handle(
                header: header, request: request, peer: peer, allocator: allocator, frameBytes: frameBytes
            ) { answer in
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.finished(id, answer: answer, context: context)
                }
            }
            // The completion cannot have run yet: it hops back to this event loop.
            if expanded > 0 {
                holding[id, default: 0] += expanded
                bytes?.addInFlight(expanded)
            }
        }
    }

    /// Gives back what requests never started hold (the connection closed); started ones give theirs back when
    /// they are answered.
    private func releaseWaiting() {
        for entry in waiting.values { bytes?.removeInFlight(entry.frameBytes) }
        waiting.removeAll()
    }

    func finished(_ id: Int, answer: KafkaAnswer, context: ChannelHandlerContext) {
        if let held = holding.removeValue(forKey: id) { bytes?.removeInFlight(held) }
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

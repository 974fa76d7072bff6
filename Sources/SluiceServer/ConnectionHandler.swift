import Logging
import NIOCore
import NIOPosix
import SluiceCore
import SluiceProtocol

/// One client connection: decodes each frame body into a request, dispatches it, writes the response.
///
/// Requests are pipelined and answered as they complete, so responses may leave out of order (clients match them by
/// correlation id). Runs on the connection's event loop; broker completions hop back to it.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: RequestDispatcher
    private let maxInFlight: Int
    /// Largest response written; a larger one is replaced by a `frameTooLarge` error.
    private let maxResponseBytes: Int
    /// The connected process, read from the kernel when the connection opens.
    private var peer: PeerIdentity?
    /// Whether the access policy names peers by group, so that a peer's groups must be known before its requests
    /// run; they are read from the group database on a thread pool, and requests wait in `parked` until then.
    private let needsGroups: Bool
    private var identified = true
    private var logger: Logger
    private var inFlight = 0
    private var flushScheduled = false
    /// A read the channel asked for while the connection was saturated, to be issued once it drains.
    private var readHeld = false
    /// Bytes that the responses of dispatched requests may take until the socket has taken them (a fetch reserves
    /// its `maxBytes`); past it, requests wait in `parked`, in order, and the connection is not read.
    private let responseBudget: Int
    private var reserved = 0
    private var parked: [(request: Request, correlationID: Int32, reserve: Int, held: Int)] = []
    /// The connection's share of the server's memory budget: produce requests count their frame's bytes until
    /// they are answered.
    private let bytes: ConnectionBytes?

    init(
        dispatcher: RequestDispatcher, maxInFlight: Int, logger: Logger,
        maxResponseBytes: Int = FrameDecoder.defaultMaxFrameSize, bytes: ConnectionBytes? = nil,
        needsGroups: Bool = false
    ) {
        self.dispatcher = dispatcher
        self.needsGroups = needsGroups
        self.bytes = bytes
        self.maxInFlight = maxInFlight
        self.maxResponseBytes = maxResponseBytes
        self.responseBudget = max(4 * maxResponseBytes, 16 << 20)
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = PeerCredentials.read(context.channel)
        if let peer {
            logger[metadataKey: "uid"] = "\(peer.uid)"
            logger[metadataKey: "pid"] = "\(peer.pid)"
            if needsGroups { lookUpGroups(of: peer, context: context) }
        }
        context.fireChannelActive()
    }

    /// Reads the peer's supplementary groups off the event loop (the group database may be a file or a network
    /// service); requests that arrive meanwhile wait in `parked`.
    private func lookUpGroups(of peer: PeerIdentity, context: ChannelHandlerContext) {
        identified = false
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) {
            PeerCredentials.groups(uid: peer.uid, gid: peer.gid)
        }.whenComplete { result in
            let (handler, context) = bound.value
            if case .success(let groups) = result { handler.peer?.groups = groups }
            handler.identified = true
            handler.dispatchParked(context: context)
            handler.resumeReadingIfDrained(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Requests still parked will never run: give their bytes back. Those dispatched give theirs back when the
        // broker answers them.
        for entry in parked where entry.held > 0 { bytes?.removeInFlight(entry.held) }
        parked.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var body = unwrapInboundIn(data)
        let frameBytes = 4 + body.readableBytes
        let header: RequestHeader
        do {
            header = try RequestHeader.decode(from: &body)
        } catch {
            fail(context: context, correlationID: Response.connectionErrorCorrelationID, error: error, close: true)
            return
        }
        let request: Request
        do {
            request = try Request.decode(header: header, payload: &body)
        } catch {
            // A request we cannot parse leaves the stream in doubt: answer and close. An unknown API or version
            // was framed correctly, so the connection goes on.
            let close = error.code == .malformedRequest
            fail(context: context, correlationID: header.correlationID, error: error, close: close)
            return
        }
        let reserve = Self.responseReserve(request, maxResponseBytes: maxResponseBytes)
        // A produce holds its records until it is answered; other requests are small once decoded.
        var held = 0
        if case .produce = request, let bytes {
            held = frameBytes
            bytes.addInFlight(held)
        }
        if !identified || !parked.isEmpty || !fits(reserve) {
            parked.append((request, header.correlationID, reserve, held))
            return
        }
        dispatch(request, correlationID: header.correlationID, reserve: reserve, held: held, context: context)
    }

    /// What a request's response may take: a fetch's byte limit (capped at the response limit); other responses
    /// are small.
    private static func responseReserve(_ request: Request, maxResponseBytes: Int) -> Int {
        guard case .fetch(let fetch) = request else { return 0 }
        return min(max(Int(fetch.maxBytes), 0), maxResponseBytes)
    }

    /// Whether a request reserving `reserve` bytes may be dispatched now; one always may when nothing is reserved.
    private func fits(_ reserve: Int) -> Bool {
        reserve == 0 || reserved == 0 || reserved + reserve <= responseBudget
    }

    private func dispatchParked(context: ChannelHandlerContext) {
        while identified, let next = parked.first, fits(next.reserve) {
            parked.removeFirst()
            dispatch(
                next.request, correlationID: next.correlationID, reserve: next.reserve, held: next.held,
                context: context)
        }
    }

    private func release(_ reserve: Int, context: ChannelHandlerContext) {
        reserved -= reserve
        dispatchParked(context: context)
        resumeReadingIfDrained(context: context)
    }

    private func dispatch(
        _ request: Request, correlationID: Int32, reserve: Int, held: Int,
        context: ChannelHandlerContext
    ) {
        inFlight += 1
        reserved += reserve
        let expectsResponse = request.expectsResponse
        let allocator = context.channel.allocator
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
        // A fetch is sized by the broker within the limit, except that its first record is always returned (so a
        // record larger than the limit can still be fetched): its answer is not refused for its size.
        let maxResponseBytes: Int
        if case .fetch = request { maxResponseBytes = Int(Int32.max) } else { maxResponseBytes = self.maxResponseBytes }
        let apiName = request.apiKey.name
        dispatcher.handle(request, peer: peer) { result in
            let buffer: ByteBuffer? =
                expectsResponse
                ? Self.encode(result, correlationID, allocator, maxBytes: maxResponseBytes, api: apiName) : nil
            eventLoop.execute {
                let (handler, context) = bound.value
                handler.inFlight -= 1
                if held > 0 { handler.bytes?.removeInFlight(held) }
                guard let buffer else { return handler.release(reserve, context: context) }
                // The reservation lasts until the socket has taken the bytes (or the connection is gone).
                let written = eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in
                    let (handler, context) = bound.value
                    handler.release(reserve, context: context)
                }
                handler.send(context: context, buffer, promise: written)
                handler.resumeReadingIfDrained(context: context)
            }
        }
    }

    // MARK: - Back-pressure

    /// Reads only while the connection has room: fewer than `maxInFlight` unanswered requests and a writable
    /// socket (a client that does not read its responses stops being read, so the server's memory stays bounded).
    func read(context: ChannelHandlerContext) {
        if inFlight >= maxInFlight || !parked.isEmpty || !context.channel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfDrained(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfDrained(context: ChannelHandlerContext) {
        if readHeld && inFlight < maxInFlight && parked.isEmpty && context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    private static func encode(
        _ result: Result<Response, SluiceError>, _ correlationID: Int32,
        _ allocator: ByteBufferAllocator, maxBytes: Int, api: String
    ) -> ByteBuffer {
        var out = allocator.buffer(capacity: 64)
        switch result {
        case .success(let response):
            // Sized before it is encoded: an answer over the limit is never built.
            do throws(SluiceError) {
                try response.encodeFrame(correlationID: correlationID, maxBodySize: maxBytes, into: &out)
            } catch {
                let error = SluiceError(
                    .frameTooLarge,
                    "the \(api) response would be \(response.frameBodySize) "
                        + "bytes, over the server's limit of \(maxBytes); ask for fewer topics or partitions")
                Response.encodeErrorFrame(correlationID: correlationID, error: error, into: &out)
            }
        case .failure(let error):
            Response.encodeErrorFrame(correlationID: correlationID, error: error, into: &out)
        }
        return out
    }

    /// Writes a response and flushes once per turn of the event loop, so responses completed together share one
    /// system call.
    private func send(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        guard context.channel.isActive else {
            promise?.succeed()
            return
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
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

    private func fail(context: ChannelHandlerContext, correlationID: Int32, error: SluiceError, close: Bool) {
        logger.debug("request refused", metadata: ["error": "\(error.code.name)", "message": "\(error.message)"])
        var buffer = context.channel.allocator.buffer(capacity: 64 + error.message.utf8.count)
        Response.encodeErrorFrame(correlationID: correlationID, error: error, into: &buffer)
        if close {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            send(context: context, buffer)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Framing errors (a frame over the size limit, a stream cut mid-frame) end the connection.
        if let error = error as? SluiceError, error.code == .frameTooLarge {
            fail(context: context, correlationID: Response.connectionErrorCorrelationID, error: error, close: true)
            return
        }
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

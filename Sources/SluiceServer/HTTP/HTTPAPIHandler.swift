import Logging
import NIOCore
import NIOHTTP1
import SluiceCore

/// One HTTP connection of the API, after NIOHTTP1's server pipeline: collects each request whole (its body up to
/// `maxBodyBytes`), learns the peer once per connection, routes the request and writes the answer.
///
/// NIOHTTP1's pipelining handler hands over one request at a time and holds the next until the answer's end is
/// written, so keep-alive and pipelined requests need nothing here. A stream (Server-Sent Events) holds the
/// connection until the client goes or the server stops; its writes wait for the previous one to be flushed, so a
/// client that does not read holds at most one event's bytes.
final class HTTPAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: HTTPAPI
    private let maxBodyBytes: Int
    private let identify: @Sendable (any Channel) -> EventLoopFuture<PeerIdentity?>
    private let logger: Logger
    private var peer: EventLoopFuture<PeerIdentity?>?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var refused = false

    init(
        api: HTTPAPI, maxBodyBytes: Int, logger: Logger,
        identify: @escaping @Sendable (any Channel) -> EventLoopFuture<PeerIdentity?>
    ) {
        self.api = api
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
        self.identify = identify
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = identify(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            refused = false
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBodyBytes {
                refuseBody(context: context, head: head)
            }
        case .body(var chunk):
            guard !refused, let head else { return }
            if body.count + chunk.readableBytes > maxBodyBytes {
                refuseBody(context: context, head: head)
                return
            }
            body += chunk.readBytes(length: chunk.readableBytes) ?? []
        case .end:
            guard let head, !refused else { return }
            self.head = nil
            let request = HTTPAPIRequest(head: head, body: body)
            body = []
            handle(request, head: head, context: context)
        }
    }

    /// A body past the limit is answered 413 and the connection closed (the rest of the body is not read).
    private func refuseBody(context: ChannelHandlerContext, head: HTTPRequestHead) {
        refused = true
        body = []
        let error = SluiceError(
            .frameTooLarge, "the request body exceeds the HTTP API's limit of \(maxBodyBytes) bytes")
        write(.error(error), version: head.version, keepAlive: false, on: context.channel)
    }

    private func handle(_ request: HTTPAPIRequest, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let channel = context.channel
        let api = self.api
        let keepAlive = head.isKeepAlive
        let version = head.version
        let route: HTTPRoute
        do throws(SluiceError) {
            route = try HTTPRoute.resolve(request)
        } catch {
            write(.error(error), version: version, keepAlive: keepAlive, on: channel)
            return
        }
        let peer = self.peer ?? channel.eventLoop.makeSucceededFuture(nil)
        peer.whenSuccess { peer in
            switch route {
            case .stream(let read):
                return HTTPEventStream(api: api, peer: peer, channel: channel, version: version).records(read)
            case .statusStream(let sections):
                return HTTPEventStream(api: api, peer: peer, channel: channel, version: version).status(
                    sections: sections)
            default:
                break
            }
            let method = head.method
            let answered = api.respondAtOnce(to: route, peer: peer) { reply in
                let body =
                    method == .HEAD
                    ? HTTPReply(status: reply.status, contentType: reply.contentType, body: []) : reply
                Self.write(body, version: version, keepAlive: keepAlive, on: channel)
            }
            if answered { return }
            Task {
                let reply = await api.respond(to: route, peer: peer)
                let body =
                    head.method == .HEAD
                    ? HTTPReply(status: reply.status, contentType: reply.contentType, body: []) : reply
                Self.write(body, version: version, keepAlive: keepAlive, on: channel)
            }
        }
    }

    private func write(_ reply: HTTPReply, version: HTTPVersion, keepAlive: Bool, on channel: any Channel) {
        Self.write(reply, version: version, keepAlive: keepAlive, on: channel)
    }

    /// Writes a whole answer (from any thread) and closes the connection after it unless it is kept alive.
    static func write(_ reply: HTTPReply, version: HTTPVersion, keepAlive: Bool, on channel: any Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: reply.contentType)
        headers.add(name: "Content-Length", value: "\(reply.body.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        var buffer = channel.allocator.buffer(capacity: reply.body.count)
        buffer.writeBytes(reply.body)
        channel.write(
            HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: reply.status, headers: headers)),
            promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
    }
}

/// A streaming read: Server-Sent Events, one `record` event per record (its `id` the record's offset, so that a
/// client reconnecting with `Last-Event-ID` resumes after it), a comment when a long poll found nothing (which also
/// tells a vanished client from a quiet one), and an `error` event before the end when a read fails.
struct HTTPEventStream: Sendable {
    let api: HTTPAPI
    let peer: PeerIdentity?
    let channel: any Channel
    let version: HTTPVersion

    private func begin() async throws(SluiceError) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Accel-Buffering", value: "no")
        try await send(.head(HTTPResponseHead(version: version, status: .ok, headers: headers)))
        try await send(text: "retry: 1000\n\n")
    }

    /// The status page's summary, now and every `statusInterval` until the client goes; with `sections`, also the
    /// page's sections as HTML (a `sections` event: an object of element ids and their HTML).
    func status(sections: Bool) {
        Task {
            do throws(SluiceError) {
                try await begin()
                while channel.isActive {
                    let summary = await HTTPStatusSummary.make(api: api, peer: peer)
                    var text = "event: status\ndata: \(String(decoding: HTTPJSON.encode(summary), as: UTF8.self))\n\n"
                    if sections {
                        let html = HTTPJSON.encode(HTTPStatusPage.sections(summary))
                        text += "event: sections\ndata: \(String(decoding: html, as: UTF8.self))\n\n"
                    }
                    try await send(text: text)
                    try? await Task.sleep(for: api.statusInterval)
                }
            } catch {
                try? await channel.close()
            }
        }
    }

    /// The records of `read`'s partition from where it starts, as they arrive, until the client goes.
    func records(_ read: HTTPRead) {
        Task {
            do throws(SluiceError) {
                // The first read waits for nothing, so that a refusal or an unknown topic is answered with its
                // own status rather than as an event.
                var offset: Int64
                let first: HTTPJSON.ReadOut
                do throws(SluiceError) {
                    offset = try await api.start(of: read, peer: peer)
                    (first, _) = try await api.read(read, peer: peer, from: offset, waitMs: 0)
                } catch {
                    return HTTPAPIHandler.write(.error(error), version: version, keepAlive: false, on: channel)
                }
                try await begin()
                var pending: HTTPJSON.ReadOut? = first
                while channel.isActive {
                    let out: HTTPJSON.ReadOut
                    if let ready = pending {
                        out = ready
                        pending = nil
                    } else {
                        (out, _) = try await api.read(read, peer: peer, from: offset, waitMs: api.streamWaitMs)
                    }
                    if out.records.isEmpty {
                        try await send(text: ": waiting at offset \(offset)\n\n")
                        continue
                    }
                    var text = ""
                    for record in out.records {
                        text += "id: \(record.offset)\nevent: record\ndata: "
                        text += String(decoding: HTTPJSON.encode(record), as: UTF8.self)
                        text += "\n\n"
                    }
                    try await send(text: text)
                    offset = out.nextOffset
                }
            } catch {
                guard channel.isActive else { return }
                let data = String(decoding: HTTPJSON.error(error), as: UTF8.self)
                try? await send(text: "event: error\ndata: \(data)\n\n")
                try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
                try? await channel.close()
            }
        }
    }

    private func send(text: String) async throws(SluiceError) {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try await send(.body(.byteBuffer(buffer)))
    }

    /// Writes and flushes one part and waits until it is written: a client that stops reading stops the stream.
    private func send(_ part: HTTPServerResponsePart) async throws(SluiceError) {
        do {
            try await channel.writeAndFlush(part).get()
        } catch {
            throw SluiceError(.connectionClosed, "the client went away")
        }
    }
}

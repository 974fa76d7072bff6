import NIOCore
import NIOHTTP1

/// Answers `GET /metrics` with the Prometheus text and anything else with 404 (405 for other methods).
///
/// Sits after NIOHTTP1's server pipeline on the optional metrics port. Every response closes the connection, which
/// is all a scraper needs and keeps the handler free of keep-alive state.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let text: @Sendable () async -> String
    private var head: HTTPRequestHead?

    /// `text` is awaited off the event loop (it reads the databases); the answer is written back on the loop.
    init(text: @escaping @Sendable () async -> String) {
        self.text = text
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            if head.method != .GET {
                respond(context: context, head: head, status: .methodNotAllowed, body: "only GET\n")
            } else if head.uri == "/metrics" || head.uri.hasPrefix("/metrics?") {
                let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
                let promise = context.eventLoop.makePromise(of: String.self)
                promise.completeWithTask { [text] in await text() }
                promise.futureResult.whenSuccess { body in
                    bound.value.handler.respond(context: bound.value.context, head: head, status: .ok, body: body)
                }
            } else {
                respond(context: context, head: head, status: .notFound, body: "try /metrics\n")
            }
        }
    }

    private func respond(
        context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, body: String
    ) {
        var headers = HTTPHeaders()
        headers.add(
            name: "Content-Type",
            value: status == .ok
                ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        context.write(
            wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
            promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

import Logging
import NIOCore

/// Closes a Kafka connection that has been idle for `maxIdle` (Kafka's `connections.max.idle.ms`): nothing read,
/// nothing written, and no request in flight or arriving (`ConnectionBytes.held` is zero then, since every request
/// holds its frame's bytes until it is answered). A long poll or a join held for a rebalance is not idle.
///
/// One timer per connection, due when the connection would have been idle for `maxIdle`; traffic only moves the
/// mark the timer looks at when it fires, so a busy connection costs one timer per `maxIdle` and nothing else.
final class KafkaIdleHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxIdle: TimeAmount
    private let bytes: ConnectionBytes
    private let logger: Logger
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(maxIdle: TimeAmount, bytes: ConnectionBytes, logger: Logger) {
        self.maxIdle = maxIdle
        self.bytes = bytes
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        lastActivity = .now()
        arm(context: context, at: lastActivity + maxIdle)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.check(context: context)
        }
    }

    private func check(context: ChannelHandlerContext) {
        timer = nil
        guard context.channel.isActive else { return }
        let now = NIODeadline.now()
        if bytes.held > 0 {
            // A request is being received or answered: look again a whole period after it is done at the soonest.
            return arm(context: context, at: now + maxIdle)
        }
        let due = lastActivity + maxIdle
        if due > now { return arm(context: context, at: due) }
        logger.debug(
            "closing an idle kafka connection",
            metadata: ["idle_ms": "\((now.uptimeNanoseconds - lastActivity.uptimeNanoseconds) / 1_000_000)"])
        context.close(promise: nil)
    }
}

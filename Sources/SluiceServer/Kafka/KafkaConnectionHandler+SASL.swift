import Logging
import NIOCore
import SluiceKafka

/// SASL on a Kafka connection: the handler hands SaslHandshake and SaslAuthenticate requests, and the raw tokens
/// that follow a SaslHandshake v0, to its `KafkaSASLSession` and acts on what it decides. Runs on the event loop;
/// PLAIN's password check (a PBKDF2) runs off it.
extension KafkaConnectionHandler {
    /// Answers a SaslHandshake or SaslAuthenticate request queued as `id`.
    func authenticate(
        _ id: Int, header: KafkaRequestHeader, request: KafkaRequest, context: ChannelHandlerContext
    ) {
        switch request {
        case .saslHandshake(let handshake):
            let (response, close) = sasl.handshake(handshake, version: header.apiVersion)
            let frame = Self.frame(response, header: header, allocator: context.channel.allocator)
            if close {
                finished(
                    id, answer: .respondAndClose(frame, "SASL mechanism \(handshake.mechanism) refused"),
                    context: context)
            } else {
                finished(id, answer: .response(frame), context: context)
            }
        case .saslAuthenticate(let authenticate):
            perform(sasl.authenticate(authenticate.authBytes), answering: .request(id, header), context: context)
        default:
            preconditionFailure("not a SASL request")
        }
    }

    /// A token sent raw after a SaslHandshake v0.
    func authenticateRaw(token: ByteBuffer, context: ChannelHandlerContext) {
        perform(sasl.authenticate(Array(token.readableBytesView)), answering: .raw, context: context)
    }

    /// Where a step's answer goes: a SaslAuthenticate response in the request's turn, or a raw frame.
    enum SASLReply {
        case request(Int, KafkaRequestHeader)
        case raw
    }

    private func perform(_ step: KafkaSASLSession.Step, answering reply: SASLReply, context: ChannelHandlerContext) {
        switch step {
        case .respond(let response, let close):
            if let user = sasl.user, peer.saslUser == nil {
                peer.saslUser = user
                // The principal from now on, for every API the access policy decides.
                peer.identity = PeerIdentity(saslUser: user)
                logger.debug("kafka client authenticated", metadata: ["sasl_user": "\(user)"])
            }
            let reason = "SASL authentication failed: \(response.errorMessage ?? "")"
            switch reply {
            case .request(let id, let header):
                let frame = Self.frame(response, header: header, allocator: context.channel.allocator)
                finished(id, answer: close ? .respondAndClose(frame, reason) : .response(frame), context: context)
            case .raw:
                // Kafka answers a failed raw exchange by closing the connection, with no frame.
                guard !close else {
                    logger.debug("kafka connection closed", metadata: ["reason": "\(reason)"])
                    return context.close(promise: nil)
                }
                var frame = context.channel.allocator.buffer(capacity: 4 + response.authBytes.count)
                frame.writeInteger(Int32(response.authBytes.count))
                frame.writeBytes(response.authBytes)
                context.writeAndFlush(NIOAny(frame), promise: nil)
            }
        case .checkPlain(let check):
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task.detached {
                let passed = check.run()
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.perform(
                        handler.sasl.plainChecked(check, passed: passed), answering: reply, context: context)
                }
            }
        }
    }

    /// Closes the connection after the answer written so far: once it has gone out, the server waits
    /// `closeDelayAfterFailure` (as Kafka's `connection.failed.authentication.delay.ms`) and then closes its side
    /// only, so that the client reads the answer before it sees the end of the stream: some clients (kafka-python)
    /// drop an answer that arrives in the same read as the end, and closing both sides while the client's bytes are
    /// unread would reset the connection and lose it. The whole connection is closed when the client closes, or
    /// at the latest `lingerAfterFailure` later.
    func closeAfterWrites(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            bound.value.eventLoop.scheduleTask(in: Self.closeDelayAfterFailure) {
                let context = bound.value
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.close(mode: .output, promise: promise)
                promise.futureResult.whenFailure { _ in bound.value.close(promise: nil) }
                context.eventLoop.scheduleTask(in: Self.lingerAfterFailure) { bound.value.close(promise: nil) }
            }
        }
    }

    /// How long after a refusal's answer the server waits before it closes its side (Kafka waits 100 ms).
    static let closeDelayAfterFailure = TimeAmount.milliseconds(500)
    /// How long a connection whose authentication failed may then stay half open for the client to read the answer.
    static let lingerAfterFailure = TimeAmount.seconds(1)

    private static func frame(
        _ response: some KafkaResponse, header: KafkaRequestHeader, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 128)
        KafkaResponseFrame.write(
            response, version: header.apiVersion, correlationId: header.correlationId,
            headerV1: KafkaResponseFrame.usesHeaderV1(apiKey: header.apiKey, apiVersion: header.apiVersion),
            into: &buffer)
        return buffer
    }
}

extension KafkaRequest {
    /// Whether this is a SaslHandshake or SaslAuthenticate request, which the connection's SASL session answers.
    var isSASL: Bool {
        switch self {
        case .saslHandshake, .saslAuthenticate: true
        default: false
        }
    }
}

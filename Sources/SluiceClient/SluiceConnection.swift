import NIOCore
import NIOPosix
import SluiceCore
import SluiceProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One connection to a Sluice server on a Unix domain socket, with any number of requests in flight.
///
/// Requests are pipelined: `send` may be called from any thread or task, as often as wanted, without waiting for
/// earlier responses; responses are matched to requests by correlation id, so a long-polling fetch does not hold back
/// anything else. When the connection ends, every request in flight and every later one fails with
/// `.connectionClosed` (or with the connection-level error the server sent). A connection never reconnects; see
/// `SluiceClient` for one that does.
package final class SluiceConnection: Sendable {
    package let socketPath: String
    private let channel: any Channel
    private let router: NIOLoopBound<ResponseRouter>

    /// The largest response frame accepted by default: room for a fetch's byte limit plus one record of the
    /// largest size a topic may allow, with generous field overhead.
    package static let defaultMaxResponseBytes = 256 << 20

    private init(socketPath: String, channel: any Channel, router: NIOLoopBound<ResponseRouter>) {
        self.socketPath = socketPath
        self.channel = channel
        self.router = router
    }

    /// Connects to the server listening on `socketPath`.
    ///
    /// Throws `.connectionClosed` with a message saying so when no server listens there.
    package static func connect(
        socketPath: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maxResponseBytes: Int = SluiceConnection.defaultMaxResponseBytes
    ) async throws(SluiceError) -> SluiceConnection {
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: maxResponseBytes)),
                        ResponseRouter(socketPath: socketPath)
                    )
                }
            }
        do {
            let channel = try await bootstrap.connect(unixDomainSocketPath: socketPath).get()
            let router = try await channel.eventLoop.submit {
                NIOLoopBound(
                    try channel.pipeline.syncOperations.handler(type: ResponseRouter.self), eventLoop: channel.eventLoop
                )
            }.get()
            return SluiceConnection(socketPath: socketPath, channel: channel, router: router)
        } catch {
            throw connectError(error, socketPath: socketPath)
        }
    }

    private static func connectError(_ error: any Error, socketPath: String) -> SluiceError {
        if let error = error as? IOError, [ENOENT, ECONNREFUSED].contains(error.errnoCode) {
            return SluiceError(
                .connectionClosed, "no server is listening on \(socketPath) (is 'sluice serve' running?)")
        }
        if let error = error as? IOError, error.errnoCode == EACCES {
            return SluiceError(.connectionClosed, "permission denied connecting to \(socketPath)")
        }
        return SluiceError(.connectionClosed, "cannot connect to \(socketPath): \(error)")
    }

    /// Whether the connection is still open.
    package var isActive: Bool { channel.isActive }

    /// Sends `request` and returns the server's response.
    ///
    /// Throws the response's top-level error, `.connectionClosed` if the connection ends first, or
    /// `.malformedRequest` for a response that cannot be decoded. A produce with acks `.noResponse` returns once it
    /// is written, with a response whose partitions all have offset -1.
    package func send(_ request: Request) async throws(SluiceError) -> Response {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Response, SluiceError>, Never>) in
            send(request) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Sends `request`; `completion` runs once, on the connection's event loop, with the response or the error.
    ///
    /// The request is encoded on the calling thread. `completion` must return quickly: it holds up the connection.
    package func send(_ request: Request, completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void) {
        let outgoing = OutgoingRequest(
            frame: request.frame(correlationID: 0, allocator: channel.allocator), apiKey: request.apiKey,
            resultOnceWritten: request.expectsResponse ? nil : Self.unansweredResult(request),
            completion: completion)
        let router = self.router
        if router.eventLoop.inEventLoop {
            router.value.enqueue(outgoing)
        } else {
            router.eventLoop.execute { router.value.enqueue(outgoing) }
        }
    }

    /// What an unanswered request (a produce with acks none) completes with: every partition at offset -1.
    private static func unansweredResult(_ request: Request) -> Response? {
        guard case .produce(let produce) = request else { return nil }
        return .produce(
            ProduceResponse(
                topics: produce.topics.map { topic in
                    ProduceResponse.Topic(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            ProduceResponse.Partition(partition: $0.partition, baseOffset: -1, logAppendTime: -1)
                        })
                }))
    }

    /// Closes the connection; requests in flight fail with `.connectionClosed`.
    package func close() async {
        try? await channel.close()
    }

    /// The event loop the connection runs on, for timers that belong with it.
    var eventLoop: any EventLoop { channel.eventLoop }
}

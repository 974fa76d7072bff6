import Logging
import NIOCore
import NIOPosix
import SluiceCore
import SluiceKafka
import Synchronization

#if TLS
    import NIOSSL
#endif

extension SluiceServer {
    /// Binds the Kafka listener: TCP at the configured address, each connection counted against the listener's own
    /// limit, closed when idle (`KafkaIdleHandler`), framed by `KafkaFrameDecoder` within the server's memory budget
    /// and partial-frame time limit (`FrameReader`) and served by a `KafkaConnectionHandler` in front of the same
    /// broker as the native socket.
    ///
    /// Under an access policy each connection's user is looked up when it is accepted (`KafkaPeerIdentity`: the
    /// owner of the peer's loopback socket) and its requests wait until it is known; the same policy then applies
    /// as on the Unix socket (`KafkaAccess.swift`). A peer not on this host is an unknown user.
    ///
    /// With `settings.tls` (a build with the `TLS` trait) the certificate and key are read here, and a
    /// `NIOSSLServerHandler` comes first in each connection's pipeline.
    func startKafkaListener(_ settings: KafkaListenerSettings) async throws(SluiceError) {
        let advertised = KafkaAdvertisedAddress(host: settings.host, port: settings.port)
        var configured = KafkaDispatcher(broker: broker, settings: settings, advertised: advertised, logger: logger)
        configured.access = configuration.access
        configured.denied = serverMetrics.denied
        let dispatcher = configured
        let connections = self.kafkaConnections
        let gauge = serverMetrics.connections
        let logger = self.logger
        let budget = memoryBudget
        let partialFrameTimeout = TimeAmount.nanoseconds(
            Int64(configuration.partialFrameTimeout.components.seconds) * 1_000_000_000
                + configuration.partialFrameTimeout.components.attoseconds / 1_000_000_000)
        let maxIdle = settings.connectionsMaxIdle.map { idle in
            TimeAmount.nanoseconds(
                Int64(idle.components.seconds) * 1_000_000_000 + idle.components.attoseconds / 1_000_000_000)
        }
        #if TLS
            // Read once, at start: a file that cannot be read or parsed stops the server here.
            let tls = try settings.tls.map { tls throws(SluiceError) in try tls.makeContext() }
        #else
            guard settings.tls == nil else {
                throw SluiceError(
                    .invalidArgument, "this build of sluice does not serve TLS (build it with --traits TLS)")
            }
        #endif
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The same budget as the native socket's: partial frames and requests in flight count on both.
                    let bytes = ConnectionBytes(budget: budget)
                    let operations = channel.pipeline.syncOperations
                    #if TLS
                        // First, so everything after it (the limit, idle time, frames) sees the decrypted stream.
                        if let tls { try operations.addHandler(NIOSSLServerHandler(context: tls)) }
                    #endif
                    try operations.addHandler(
                        ConnectionLimitHandler(
                            registry: connections, limit: settings.maxConnections, gauge: gauge, silent: true))
                    if let maxIdle {
                        try operations.addHandler(KafkaIdleHandler(maxIdle: maxIdle, bytes: bytes, logger: logger))
                    }
                    try operations.addHandlers(
                        FrameReader(
                            decoder: KafkaFrameDecoder(maxFrameSize: settings.maxFrameBytes), bytes: bytes,
                            partialFrameTimeout: partialFrameTimeout, logger: logger, timeoutNotice: nil),
                        KafkaConnectionHandler(
                            dispatcher: dispatcher, maxQueued: settings.maxQueuedPerConnection,
                            sasl: settings.sasl, logger: logger, bytes: bytes)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: settings.host, port: settings.port).get()
        } catch {
            throw SluiceError(
                .invalidArgument, "cannot listen for Kafka clients on \(settings.host):\(settings.port): \(error)")
        }
        let port = channel.localAddress?.port ?? settings.port
        advertised.set(host: settings.host, port: port)
        kafkaChannel.withLock { $0 = channel }
        logger.info("kafka listening", metadata: ["address": "\(settings.host):\(port)"])
    }

    /// `HOST:PORT` the Kafka listener is bound to, once started; nil without one.
    package var kafkaAddress: String? {
        guard let channel = kafkaChannel.withLock({ $0 }), let address = channel.localAddress,
            let port = address.port
        else { return nil }
        let host = configuration.kafka?.host ?? address.ipAddress ?? "127.0.0.1"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

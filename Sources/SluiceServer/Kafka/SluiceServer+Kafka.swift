import Logging
import NIOCore
import NIOPosix
import SluiceCore
import SluiceKafka
import Synchronization

extension SluiceServer {
    /// Binds the Kafka listener: TCP at the configured address, each connection framed by `KafkaFrameDecoder` and
    /// served by a `KafkaConnectionHandler` in front of the same broker as the native socket.
    ///
    /// The peer-identity access policy cannot apply here (TCP carries no peer credentials): anyone who can reach
    /// the port may use it, which is why it is off by default and meant for loopback.
    func startKafkaListener(_ settings: KafkaListenerSettings) async throws(SluiceError) {
        let advertised = KafkaAdvertisedAddress(host: settings.host, port: settings.port)
        let dispatcher = KafkaDispatcher(
            broker: broker, settings: settings, advertised: advertised, access: configuration.access, logger: logger)
        let connections = self.connections
        let limit = configuration.maxConnections
        let gauge = serverMetrics.connections
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ConnectionLimitHandler(registry: connections, limit: limit, gauge: gauge, silent: true),
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: settings.maxFrameBytes)),
                        KafkaConnectionHandler(
                            dispatcher: dispatcher, maxQueued: settings.maxQueuedPerConnection,
                            sasl: settings.sasl, logger: logger)
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
        if configuration.access != nil {
            logger.warning(
                """
                the access policy does not cover the Kafka listener: any process that can reach \
                \(settings.host):\(port) may produce, consume and administer
                """)
        }
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

import CoreMetrics
import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import SluiceBroker
import SluiceCore
import SluiceProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the server listens on and the limits it enforces.
package struct ServerConfiguration: Sendable {
    package var socketPath: String
    /// Permissions of the socket file; 0660 lets the owner and the group connect.
    package var socketMode: UInt32 = 0o660
    /// Largest frame body accepted; a larger one is answered `frameTooLarge` and the connection closed.
    package var maxFrameBytes: Int = FrameDecoder.defaultMaxFrameSize
    /// Requests a connection may have waiting for an answer; at the limit the server stops reading it until it drains.
    package var maxInFlightPerConnection: Int = 1024
    /// Connections served at once on the Unix socket; more are answered `tooManyRequests` and closed. The Kafka
    /// listener counts its own (`KafkaListenerSettings.maxConnections`).
    package var maxConnections: Int = 1024
    /// The last of `maxConnections` that only an administrator may take: root, the server's own user, or a peer
    /// the access policy grants `admin` on some topic (at most half of `maxConnections`). So a crowd of clients
    /// cannot lock out the one who would stop them.
    package var reservedAdminConnections: Int = 8
    package var eventLoopThreads: Int = 1
    /// Owner and group given to the socket file after it is bound; nil leaves the server's own.
    package var socketOwner: UInt32?
    package var socketGroup: UInt32?
    /// Durability of topics created without one.
    package var defaultDurability: Durability = .full
    /// Largest response frame body written; a larger one is answered `frameTooLarge`, and fetches are cut to it.
    package var maxResponseBytes: Int = FrameDecoder.defaultMaxFrameSize
    /// Request bytes one connection may hold in memory (produce requests in flight, besides one unfinished frame)
    /// before the server stops reading it until some are released.
    package var maxBufferedBytesPerConnection: Int = 64 << 20
    /// Request bytes all connections together may hold (unfinished frames and produce requests in flight) before
    /// those holding any stop being read; see `MemoryBudget`.
    package var maxBufferedBytes: Int = 256 << 20
    /// How long a frame may take to arrive whole from its first byte; past it the connection is closed.
    package var partialFrameTimeout: Duration = .seconds(30)
    /// How long `shutdown()` waits for commits and requests in flight before closing everything anyway.
    package var shutdownTimeout: Duration = .seconds(10)
    /// Who may do what, by the peer's uid and groups; nil allows every connection everything.
    package var access: AccessPolicy?
    /// The metrics to serve by `stats` and on `metricsListen`; nil turns both off.
    package var metrics: PrometheusCollectorRegistry?
    /// Where to serve `GET /metrics` over HTTP (meant for loopback); nil for nowhere.
    package var metricsListen: HostPort?
    /// The Kafka-protocol listener (TCP); nil for none, the default.
    package var kafka: KafkaListenerSettings?
    /// The HTTP API and status page; nil for none.
    package var http: HTTPListenerSettings?

    package init(socketPath: String) {
        self.socketPath = socketPath
    }
}

/// The Sluice server: a SwiftNIO listener on a Unix domain socket in front of a `Broker`.
///
/// Life: `start()` claims the socket and starts accepting; `shutdown()` (or a signal, with `runUntilSignalled()`)
/// stops accepting, lets the broker finish commits in flight and answer waiting fetches, closes connections and
/// databases, and removes the socket file. `handleTerminationSignals()` makes SIGINT and SIGTERM call `shutdown()`.
package final class SluiceServer: Sendable {
    package let configuration: ServerConfiguration
    package let broker: Broker
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    private let state = Mutex<State>(.idle)
    let connections = ConnectionRegistry()
    /// The Kafka listener's connections, counted apart from the Unix socket's.
    let kafkaConnections = ConnectionRegistry()
    private let stopped = Mutex<[CheckedContinuation<Void, Never>]?>([])
    private let signalSources = Mutex<[SignalSource]>([])
    private let metricsChannel = Mutex<(any Channel)?>(nil)
    let kafkaChannel = Mutex<(any Channel)?>(nil)
    /// The HTTP API's connections, counted apart from the other listeners'.
    let httpConnections = ConnectionRegistry()
    private let httpChannels = Mutex<[any Channel]>([])
    /// Where the HTTP API listens (`httpAddresses`).
    let httpListening = Mutex<[String]>([])
    private let drainTimedOut = Atomic<Bool>(false)
    let serverMetrics = ServerMetrics()
    /// The request bytes every connection holds, against `maxBufferedBytes`.
    package let memoryBudget: MemoryBudget

    /// True once a shutdown gave up waiting for work in flight after `shutdownTimeout`.
    package var shutdownTimedOut: Bool { drainTimedOut.load(ordering: .relaxed) }

    enum State {
        case idle
        case running(any Channel)
        case stopping
        case stopped
    }

    package init(configuration: ServerConfiguration, broker: Broker, logger: Logger = Logger(label: "sluice.server")) {
        self.configuration = configuration
        self.broker = broker
        self.logger = logger
        self.memoryBudget = MemoryBudget(
            limit: max(1, configuration.maxBufferedBytes),
            perConnection: max(1, configuration.maxBufferedBytesPerConnection))
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
    }

    /// Claims the socket path and starts accepting connections. Throws if another server holds the path.
    package func start() async throws(SluiceError) {
        let path = configuration.socketPath
        try UnixSocketPath.prepare(path)
        let configuration = self.configuration
        let registry = configuration.metrics
        let metricsText: (@Sendable () -> String)? = if let registry { { registry.emitToString() } } else { nil }
        let dispatcher = RequestDispatcher(
            broker: broker, access: configuration.access, defaultDurability: configuration.defaultDurability,
            maxResponseBytes: configuration.maxResponseBytes, metricsText: metricsText, metrics: serverMetrics,
            logger: logger)
        let logger = self.logger
        let connections = self.connections
        let serverMetrics = self.serverMetrics
        let budget = self.memoryBudget
        let partialFrameTimeout = TimeAmount.nanoseconds(
            Int64(configuration.partialFrameTimeout.components.seconds) * 1_000_000_000
                + configuration.partialFrameTimeout.components.attoseconds / 1_000_000_000)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let bytes = ConnectionBytes(budget: budget)
                    try channel.pipeline.syncOperations.addHandlers(
                        ConnectionLimitHandler(
                            registry: connections, limit: configuration.maxConnections,
                            gauge: serverMetrics.connections,
                            reserved: min(configuration.reservedAdminConnections, configuration.maxConnections / 2),
                            mayUseReserve: { channel in
                                Self.isAdministrator(PeerCredentials.read(channel), access: configuration.access)
                            }),
                        FrameReader(
                            decoder: FrameDecoder(maxFrameSize: configuration.maxFrameBytes), bytes: bytes,
                            partialFrameTimeout: partialFrameTimeout, logger: logger),
                        ConnectionHandler(
                            dispatcher: dispatcher, maxInFlight: configuration.maxInFlightPerConnection,
                            logger: logger, maxResponseBytes: configuration.maxResponseBytes,
                            bytes: bytes,
                            needsGroups: configuration.access?.rules.contains { !$0.gids.isEmpty } ?? false)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
        } catch {
            throw SluiceError(.invalidArgument, "cannot listen on \(path): \(error)")
        }
        try UnixSocketPath.setMode(path, configuration.socketMode)
        if configuration.socketOwner != nil || configuration.socketGroup != nil {
            try UnixSocketPath.setOwner(path, uid: configuration.socketOwner, gid: configuration.socketGroup)
        }
        if let listen = configuration.metricsListen, let metricsText {
            do {
                let http = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { [broker] channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                            try channel.pipeline.syncOperations.addHandler(
                                MetricsHTTPHandler(text: {
                                    await GroupMetricsText.scrape(broker: broker, registryText: metricsText)
                                }))
                        }
                    }
                    .bind(host: listen.host, port: listen.port).get()
                metricsChannel.withLock { $0 = http }
                logger.info("serving metrics", metadata: ["address": "\(listen.host):\(listen.port)"])
            } catch {
                try? await channel.close()
                throw SluiceError(.invalidArgument, "cannot serve metrics on \(listen.host):\(listen.port): \(error)")
            }
        }
        if let kafka = configuration.kafka {
            do {
                try await startKafkaListener(kafka)
            } catch {
                try? await channel.close()
                if let http = metricsChannel.withLock({ $0 }) { try? await http.close() }
                throw error
            }
        }
        if let http = configuration.http {
            do {
                let channels = try await startHTTPListeners(http, dispatcher: dispatcher)
                httpChannels.withLock { $0 = channels }
            } catch {
                try? await channel.close()
                if let metrics = metricsChannel.withLock({ $0 }) { try? await metrics.close() }
                if let kafka = kafkaChannel.withLock({ $0 }) { try? await kafka.close() }
                throw error
            }
        }
        state.withLock { $0 = .running(channel) }
        logger.info("listening", metadata: ["socket": "\(path)"])
    }

    /// Stops the server: no new connections, commits in flight finished and acknowledged, then everything closed.
    package func shutdown() async {
        let channel: (any Channel)? = state.withLock { state in
            guard case .running(let channel) = state else { return nil }
            state = .stopping
            return channel
        }
        guard let channel else { return await waitUntilStopped() }
        logger.info("shutting down", metadata: ["timeout": "\(configuration.shutdownTimeout)"])
        try? await channel.close()
        if let http = metricsChannel.withLock({ $0 }) { try? await http.close() }
        if let kafka = kafkaChannel.withLock({ $0 }) { try? await kafka.close() }
        for http in httpChannels.withLock({ $0 }) { try? await http.close() }
        let broker = self.broker
        let drained = await Self.within(configuration.shutdownTimeout) {
            await broker.shutdown()
            // Let responses produced by the broker's last completions reach their connections.
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !drained {
            drainTimedOut.store(true, ordering: .relaxed)
            logger.warning(
                "shutdown timed out; closing with work in flight",
                metadata: ["timeout": "\(configuration.shutdownTimeout)"])
        }
        await connections.closeAll()
        await kafkaConnections.closeAll()
        await httpConnections.closeAll()
        try? await group.shutdownGracefully()
        unlink(configuration.socketPath)
        if let path = configuration.http?.socketPath { unlink(path) }
        state.withLock { $0 = .stopped }
        let waiting = stopped.withLock { waiting in
            defer { waiting = nil }
            return waiting ?? []
        }
        for continuation in waiting { continuation.resume() }
        logger.info("stopped")
    }

    /// Runs `work` in a task of its own and waits for it at most `limit`; false when the time ran out first (the
    /// work then goes on unobserved: the process is about to exit).
    static func within(_ limit: Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
        final class Outcome: Sendable {
            let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)
            func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
        }
        let outcome = Outcome()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            outcome.continuation.withLock { $0 = continuation }
            Task {
                await work()
                outcome.resume(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                outcome.resume(false)
            }
        }
    }

    /// Returns once `shutdown()` has finished.
    package func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = stopped.withLock { waiting -> Bool in
                guard waiting != nil else { return true }
                waiting!.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Arranges for SIGINT and SIGTERM to shut the server down cleanly. Call it before `start()`, so that no
    /// signal can arrive between the socket opening and the handlers being in place.
    package func handleTerminationSignals() {
        let sources = [SIGINT, SIGTERM].map { signalNumber -> any DispatchSourceSignal in
            // The default action goes first: on Linux the source installs its own handler when it starts, and a
            // later SIG_IGN would replace it and lose every signal.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                logger.info("signal received", metadata: ["signal": "\(signalNumber)"])
                Task { await self.shutdown() }
            }
            source.resume()
            return source
        }
        signalSources.withLock { $0 = sources.map { SignalSource($0) } }
    }
}

/// Keeps a signal source alive for as long as the server.
struct SignalSource: @unchecked Sendable {
    let source: any DispatchSourceSignal
    init(_ source: any DispatchSourceSignal) { self.source = source }
}

/// Counts live connections and can close them all.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Adds a channel; false (and not added) when `limit` channels are already open.
    func add(_ channel: any Channel, limit: Int) -> Bool {
        channels.withLock { channels in
            guard channels.count < limit else { return false }
            channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Connections open now.
    var count: Int { channels.withLock { $0.count } }

    func closeAll() async {
        let all = channels.withLock { Array($0.values) }
        for channel in all { try? await channel.close() }
    }
}

extension SluiceServer {
    /// Whether a Unix socket peer may take a connection reserved for administrators: root, the server's own
    /// user, or one the access policy grants `admin` on some topic by its uid or primary group (asked at accept, on
    /// the event loop, so without reading the group database). Unknown peers may not.
    static func isAdministrator(_ peer: PeerIdentity?, access: AccessPolicy?) -> Bool {
        guard let peer else { return false }
        if peer.uid == 0 || peer.uid == UInt32(getuid()) { return true }
        return access?.allows(peer, .admin, topic: nil) ?? false
    }
}

/// Refuses connections past the limit with a `tooManyRequests` error frame.
///
/// With `reserved` slots, a connection that finds fewer than `reserved` free is served only when
/// `mayUseReserve` says so (asked at accept, on the channel's event loop).
final class ConnectionLimitHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let registry: ConnectionRegistry
    private let limit: Int
    private let gauge: Meter?
    private var counted = false
    /// Close a connection past the limit without an error frame (for protocols that have none, such as Kafka's).
    private let silent: Bool

    private let reserved: Int
    private let mayUseReserve: ((any Channel) -> Bool)?

    init(
        registry: ConnectionRegistry, limit: Int, gauge: Meter? = nil, silent: Bool = false, reserved: Int = 0,
        mayUseReserve: ((any Channel) -> Bool)? = nil
    ) {
        self.registry = registry
        self.limit = limit
        self.gauge = gauge
        self.silent = silent
        self.reserved = max(0, reserved)
        self.mayUseReserve = mayUseReserve
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let admitted =
            registry.add(channel, limit: limit - reserved)
            || (reserved > 0 && (mayUseReserve?(channel) ?? false) && registry.add(channel, limit: limit))
        if admitted {
            counted = true
            gauge?.increment()
            context.fireChannelActive()
            return
        }
        if silent { return context.close(promise: nil) }
        var buffer = context.channel.allocator.buffer(capacity: 96)
        let error = SluiceError(
            .tooManyRequests,
            reserved > 0
                ? "the server already serves \(limit - reserved) connections (\(reserved) more are kept for administrators)"
                : "the server already serves \(limit) connections")
        Response.encodeErrorFrame(correlationID: Response.connectionErrorCorrelationID, error: error, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        if counted {
            counted = false
            gauge?.decrement()
        }
        context.fireChannelInactive()
    }
}

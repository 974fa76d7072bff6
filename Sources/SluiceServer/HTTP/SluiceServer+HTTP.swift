import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore
import Synchronization

extension SluiceServer {
    /// Starts the HTTP API on its Unix socket and, when asked, on TCP; returns the channels to close at shutdown.
    func startHTTPListeners(_ settings: HTTPListenerSettings, dispatcher: RequestDispatcher) async throws(SluiceError)
        -> [any Channel]
    {
        let registries = [("native", connections), ("kafka", kafkaConnections), ("http", httpConnections)]
        let kafkaServed = configuration.kafka != nil
        let api = HTTPAPI(dispatcher: dispatcher) {
            var counts: [String: Int] = [:]
            for (name, registry) in registries where name != "kafka" || kafkaServed { counts[name] = registry.count }
            return counts
        }
        let registry = httpConnections
        let logger = self.logger
        let needsGroups = configuration.access?.rules.contains { !$0.gids.isEmpty } ?? false
        func bootstrap(identify: @escaping @Sendable (any Channel) -> EventLoopFuture<PeerIdentity?>)
            -> ServerBootstrap
        {
            ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionLimitHandler(registry: registry, limit: settings.maxConnections, silent: true))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPAPIHandler(
                                api: api, maxBodyBytes: settings.maxBodyBytes, logger: logger, identify: identify))
                    }
                }
        }
        var channels: [any Channel] = []
        do throws(SluiceError) {
            if let path = settings.socketPath {
                do throws(SluiceError) {
                    try UnixSocketPath.prepare(path)
                    let channel: any Channel
                    do {
                        channel = try await bootstrap { channel in
                            Self.unixPeer(channel, needsGroups: needsGroups)
                        }.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
                    } catch {
                        throw SluiceError(.invalidArgument, "cannot serve HTTP on \(path): \(error)")
                    }
                    channels.append(channel)
                    httpListening.withLock { $0.append(path) }
                    try UnixSocketPath.setMode(path, settings.socketMode)
                    logger.info("serving HTTP", metadata: ["socket": "\(path)"])
                } catch  where settings.socketIsDefault {
                    logger.warning(
                        "not serving HTTP on the default socket; set http_socket to serve it elsewhere",
                        metadata: ["error": "\(error.message)"])
                }
            }
            if let listen = settings.listen {
                do {
                    let channel = try await bootstrap { channel in
                        KafkaPeerIdentity.lookUp(
                            local: channel.localAddress, remote: channel.remoteAddress, on: channel.eventLoop
                        ).map { $0 }
                    }.bind(host: listen.host, port: listen.port).get()
                    channels.append(channel)
                    let bound = channel.localAddress.map { "\($0.ipAddress ?? listen.host):\($0.port ?? listen.port)" }
                    httpListening.withLock { $0.append(bound ?? "\(listen.host):\(listen.port)") }
                } catch {
                    throw SluiceError(.invalidArgument, "cannot serve HTTP on \(listen.host):\(listen.port): \(error)")
                }
                logger.info("serving HTTP", metadata: ["address": "\(listen.host):\(listen.port)"])
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return channels
    }

    /// Where the HTTP API listens: its socket's path and TCP address, once started.
    package var httpAddresses: [String] {
        httpListening.withLock { $0 }
    }

    /// A Unix socket peer by its credentials, with its supplementary groups (read off the event loop) when the
    /// policy names groups.
    static func unixPeer(_ channel: any Channel, needsGroups: Bool) -> EventLoopFuture<PeerIdentity?> {
        guard let peer = PeerCredentials.read(channel) else { return channel.eventLoop.makeSucceededFuture(nil) }
        guard needsGroups else { return channel.eventLoop.makeSucceededFuture(peer) }
        return NIOThreadPool.singleton.runIfActive(eventLoop: channel.eventLoop) {
            var named = peer
            named.groups = PeerCredentials.groups(uid: peer.uid, gid: peer.gid)
            return named
        }.recover { _ in peer }
    }
}

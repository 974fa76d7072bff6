import NIOCore
import NIOPosix

/// Who is at the other end of a Kafka connection, for the access policy: the user owning the peer's loopback socket
/// (`LoopbackPeer`) with its groups from the user and group databases, as the Unix socket's peers have theirs.
enum KafkaPeerIdentity {
    /// Looks the peer of a connection with ends `local` and `remote` up on a thread of `NIOThreadPool.singleton` (it
    /// reads `/proc/net/tcp` and the user database, so never on the event loop); the future completes on
    /// `eventLoop`. A peer whose user cannot be found is `PeerIdentity.unknown`.
    static func lookUp(local: SocketAddress?, remote: SocketAddress?, on eventLoop: any EventLoop)
        -> EventLoopFuture<PeerIdentity>
    {
        guard let local = local.flatMap(LoopbackPeer.Endpoint.init),
            let remote = remote.flatMap(LoopbackPeer.Endpoint.init)
        else { return eventLoop.makeSucceededFuture(.unknown) }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            guard let uid = LoopbackPeer.uid(local: local, remote: remote) else { return PeerIdentity.unknown }
            return PeerCredentials.identity(uid: uid)
        }.recover { _ in .unknown }
    }
}

extension LoopbackPeer.Endpoint {
    /// The address and port of an IPv4 or IPv6 socket address; nil for another kind.
    init?(_ address: SocketAddress) {
        // `sockaddr_in`: family (2 bytes), port (2), address (4); `sockaddr_in6`: family, port, flow info (4),
        // address (16).
        let range: Range<Int>
        switch address {
        case .v4: range = 4..<8
        case .v6: range = 8..<24
        default: return nil
        }
        guard let port = address.port, let port = UInt16(exactly: port) else { return nil }
        let bytes = address.withSockAddr { pointer, size in
            size >= range.upperBound ? Array(UnsafeRawBufferPointer(start: pointer, count: size)[range]) : []
        }
        guard bytes.count == range.count else { return nil }
        self.init(address: bytes, port: port)
    }
}

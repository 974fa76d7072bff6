/// Where the HTTP API and status page listen, and their limits.
///
/// The Unix socket (`http_socket`, by default `DATA_DIR/http.sock`) names its peers by their credentials, exactly as
/// the native socket does, so the access policy applies to them unchanged. The optional TCP listener
/// (`http_listen`) names a loopback peer by the user owning its socket, as the Kafka listener does; a peer it cannot
/// name is unknown, and an access policy grants an unknown peer nothing.
package struct HTTPListenerSettings: Sendable, Equatable {
    /// The Unix socket to serve on; nil for none.
    package var socketPath: String?
    /// Its permissions, as the native socket's (`socket_mode`).
    package var socketMode: UInt32 = 0o660
    /// The socket is the default one, not asked for: when it cannot be bound (a path too long for a Unix socket, a
    /// data directory shared read-only) the server says so and serves without it.
    package var socketIsDefault = false
    /// A TCP address to serve on as well; nil (the default) for none.
    package var listen: HostPort?
    /// Largest request body read; a larger one is answered 413 and the connection closed.
    package var maxBodyBytes: Int = 16 << 20
    /// Connections served at once on both listeners together; more are closed at once.
    package var maxConnections: Int = 256

    package init(socketPath: String?, listen: HostPort? = nil) {
        self.socketPath = socketPath
        self.listen = listen
    }
}

/// How the Kafka listener behaves: where it listens and what it does for clients that assume a Kafka cluster.
package struct KafkaListenerSettings: Sendable, Hashable {
    /// The address to listen on; loopback unless the user names another. Port 0 picks a free port.
    package var host: String
    package var port: Int
    /// Create a topic when a client asks for its metadata with auto-creation allowed (librdkafka and kafka-python
    /// producers do). Off by default: a typo in a topic name then fails loudly instead of creating a topic that
    /// keeps data for a week.
    package var autoCreateTopics = false
    /// Partitions of topics created automatically, or by CreateTopics without a count.
    package var defaultPartitions: Int32 = 1
    /// Largest request frame accepted (Kafka's `socket.request.max.bytes`).
    package var maxFrameBytes = 100 << 20
    /// Requests a connection may have waiting for an answer before the server stops reading it.
    package var maxQueuedPerConnection = 1024
    /// Largest fetch response built (the server's `max_response_bytes`): a fetch's `max_bytes` is cut to it.
    package var maxResponseBytes = (16 << 20) + 1024
    /// Connections the Kafka listener serves at once (`kafka_max_connections`); more are closed at once. Counted
    /// apart from the Unix socket's, so Kafka clients can never crowd out native ones.
    package var maxConnections = 1024
    /// How long a connection may stay idle (no request being read, none in flight) before it is closed
    /// (`kafka_connections_max_idle_ms`, Kafka's `connections.max.idle.ms`); nil never closes one.
    package var connectionsMaxIdle: Duration? = .milliseconds(600_000)
    /// SASL: the mechanisms, whether clients must authenticate, the users.
    package var sasl = KafkaSASLSettings()
    /// TLS (`kafka_tls_certificate`, `kafka_tls_key`); nil serves plain TCP.
    package var tls: KafkaTLSSettings?

    package init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }
}

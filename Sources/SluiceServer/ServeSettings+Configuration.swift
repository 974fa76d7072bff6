import Prometheus
import SluiceCore

/// From `sluice serve`'s settings to the server's configuration: the file read, the flags laid over it, and the
/// values the server runs with.
extension ServeSettings {
    /// The settings to serve with: the configuration file at `path` (none when nil) with every setting `flags`
    /// gives laid over it. Throws `.invalidArgument` naming the file and the problem (see `load(path:)`).
    package static func resolve(file path: String?, flags: ServeSettings) throws(SluiceError) -> ServeSettings {
        let file = try path.map { path throws(SluiceError) in try load(path: path) } ?? ServeSettings()
        return file.overlaid(by: flags)
    }

    /// These settings with each one that `overrides` gives in place of this one's: a flag wins over the file.
    package func overlaid(by overrides: ServeSettings) -> ServeSettings {
        var merged = self
        if let value = overrides.dataDir { merged.dataDir = value }
        if let value = overrides.socket { merged.socket = value }
        if let value = overrides.socketMode { merged.socketMode = value }
        if let value = overrides.socketOwner { merged.socketOwner = value }
        if let value = overrides.socketGroup { merged.socketGroup = value }
        if let value = overrides.defaultDurability { merged.defaultDurability = value }
        if let value = overrides.maxConnections { merged.maxConnections = value }
        if let value = overrides.maxInFlight { merged.maxInFlight = value }
        if let value = overrides.maxFrameBytes { merged.maxFrameBytes = value }
        if let value = overrides.maxResponseBytes { merged.maxResponseBytes = value }
        if let value = overrides.maxBufferedBytesPerConnection { merged.maxBufferedBytesPerConnection = value }
        if let value = overrides.maxBufferedBytes { merged.maxBufferedBytes = value }
        if let value = overrides.partialFrameTimeoutMs { merged.partialFrameTimeoutMs = value }
        if let value = overrides.shutdownTimeoutSeconds { merged.shutdownTimeoutSeconds = value }
        if let value = overrides.logLevel { merged.logLevel = value }
        if let value = overrides.metricsListen { merged.metricsListen = value }
        if let value = overrides.kafkaListen { merged.kafkaListen = value }
        if let value = overrides.kafkaAutoCreateTopics { merged.kafkaAutoCreateTopics = value }
        if let value = overrides.kafkaDefaultPartitions { merged.kafkaDefaultPartitions = value }
        if let value = overrides.kafkaMaxConnections { merged.kafkaMaxConnections = value }
        if let value = overrides.kafkaConnectionsMaxIdleMs { merged.kafkaConnectionsMaxIdleMs = value }
        if let value = overrides.reservedAdminConnections { merged.reservedAdminConnections = value }
        if let value = overrides.kafkaSASLRequired { merged.kafkaSASLRequired = value }
        if let value = overrides.kafkaSASLMechanisms { merged.kafkaSASLMechanisms = value }
        if let value = overrides.kafkaSASLUsers { merged.kafkaSASLUsers = value }
        if let value = overrides.kafkaTLSCertificate { merged.kafkaTLSCertificate = value }
        if let value = overrides.kafkaTLSKey { merged.kafkaTLSKey = value }
        if let value = overrides.access { merged.access = value }
        if let value = overrides.maxOpenTopics { merged.maxOpenTopics = value }
        if let value = overrides.httpSocket { merged.httpSocket = value }
        if let value = overrides.httpListen { merged.httpListen = value }
        return merged
    }

    /// The server's configuration for these settings, serving on `socketPath` and exporting `metrics` (none when
    /// nil); a setting left unset keeps `ServerConfiguration`'s (and `KafkaListenerSettings`') default. The Kafka
    /// listener takes the larger of its own frame limit and `maxFrameBytes`, and `maxInFlight` as its queue per
    /// connection. Throws `.invalidArgument` for a listen address that is not `host:port`.
    package func serverConfiguration(
        socketPath: String, metrics: PrometheusCollectorRegistry?, dataDirectory: String? = nil
    ) throws(SluiceError) -> ServerConfiguration {
        var configuration = ServerConfiguration(socketPath: socketPath)
        // The HTTP API's socket sits beside the data (none when set empty); TCP only when asked.
        let httpPath = httpSocket ?? dataDirectory.map { "\($0)/http.sock" }
        let httpAddress = try httpListen.map { text throws(SluiceError) in
            try HostPort.parse(text, setting: "http_listen")
        }
        if httpPath?.isEmpty == false || httpAddress != nil {
            var http = HTTPListenerSettings(
                socketPath: httpPath?.isEmpty == false ? httpPath : nil, listen: httpAddress)
            http.socketIsDefault = httpSocket == nil
            if let mode = socketMode { http.socketMode = mode }
            if let value = maxFrameBytes { http.maxBodyBytes = value }
            configuration.http = http
        }
        if let mode = socketMode { configuration.socketMode = mode }
        configuration.socketOwner = socketOwner
        configuration.socketGroup = socketGroup
        if let durability = defaultDurability { configuration.defaultDurability = durability }
        if let value = maxConnections { configuration.maxConnections = value }
        if let value = reservedAdminConnections { configuration.reservedAdminConnections = value }
        if let value = maxInFlight { configuration.maxInFlightPerConnection = value }
        if let value = maxFrameBytes { configuration.maxFrameBytes = value }
        if let value = maxResponseBytes { configuration.maxResponseBytes = value }
        if let value = maxBufferedBytesPerConnection { configuration.maxBufferedBytesPerConnection = value }
        if let value = maxBufferedBytes { configuration.maxBufferedBytes = value }
        if let value = partialFrameTimeoutMs { configuration.partialFrameTimeout = .milliseconds(Int64(value)) }
        if let seconds = shutdownTimeoutSeconds {
            configuration.shutdownTimeout = .milliseconds(Int64(seconds * 1000))
        }
        configuration.access = access
        configuration.metrics = metrics
        configuration.metricsListen = try metricsListen.map { text throws(SluiceError) in
            try HostPort.parse(text, setting: "metrics_listen")
        }
        if let kafkaListen {
            let address = try HostPort.parse(kafkaListen, setting: "kafka_listen")
            var kafka = KafkaListenerSettings(host: address.host, port: address.port)
            kafka.autoCreateTopics = kafkaAutoCreateTopics ?? false
            if let partitions = kafkaDefaultPartitions { kafka.defaultPartitions = partitions }
            if let value = maxFrameBytes { kafka.maxFrameBytes = max(value, kafka.maxFrameBytes) }
            if let value = maxInFlight { kafka.maxQueuedPerConnection = value }
            if let value = maxResponseBytes { kafka.maxResponseBytes = value }
            if let value = kafkaMaxConnections { kafka.maxConnections = value }
            if let value = kafkaConnectionsMaxIdleMs {
                kafka.connectionsMaxIdle = value == 0 ? nil : .milliseconds(Int64(value))
            }
            try kafkaSecurity(into: &kafka)
            configuration.kafka = kafka
        }
        return configuration
    }
}

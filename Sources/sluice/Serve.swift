import ArgumentParser
import CoreMetrics
import Logging
import Prometheus
import SluiceBroker
import SluiceCore
import SluiceServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server on a Unix socket.",
        discussion: """
            Prints 'listening on PATH' on stdout once it is ready. SIGINT or SIGTERM stop it: no new connections, \
            commits and requests in flight finished for at most shutdown_timeout seconds. Settings come from \
            --config FILE (JSON, see docs/sluice.example.json); a flag wins over the file. Exit status: 0 after a \
            clean stop, 1 on a runtime error, 64 for bad arguments, 75 when the shutdown timed out with work in \
            flight, 78 for a bad configuration file.
            """
    )

    /// Exit status when the configuration file cannot be read or is invalid (sysexits EX_CONFIG).
    static let exitConfig: Int32 = 78
    /// Exit status when a shutdown gave up waiting for work in flight (sysexits EX_TEMPFAIL).
    static let exitShutdownTimedOut: Int32 = 75

    @Option(name: .long, help: ArgumentHelp("Configuration file (JSON).", valueName: "path"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp(
        "Data directory (default: $SLUICE_DATA_DIR, else ./sluice-data).", valueName: "dir"))
    var dataDir: String?

    @OptionGroup var location: Location

    @Option(name: .long, help: ArgumentHelp("Permissions of the socket file, in octal (default 660).", valueName: "mode"))
    var socketMode: String?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical (default info)."))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("Requests in flight allowed per connection (default 1024).", valueName: "n"))
    var maxInFlight: Int?

    @Option(name: .long, help: ArgumentHelp("Largest request frame accepted, in bytes.", valueName: "bytes"))
    var maxFrameBytes: Int?

    @Option(name: .long, help: ArgumentHelp("Seconds a SIGTERM waits for work in flight (default 10).", valueName: "s"))
    var shutdownTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Serve GET /metrics over HTTP at host:port (off by default).",
                                            valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .long, help: ArgumentHelp(
        "Also serve Kafka clients over TCP at host:port (off by default; see docs/KAFKA.md).", valueName: "host:port"))
    var kafkaListen: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Let Kafka clients create topics by asking for them (default off).")
    var kafkaAutoCreateTopics: Bool?

    @Option(name: .long, help: ArgumentHelp("Partitions of topics Kafka clients create without a count (default 1).",
                                            valueName: "n"))
    var kafkaDefaultPartitions: Int32?

    func validate() throws {
        if let socketMode, UInt32(socketMode, radix: 8) == nil {
            throw ValidationError("--socket-mode must be an octal number such as 660, not '\(socketMode)'")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let maxInFlight, maxInFlight <= 0 { throw ValidationError("--max-in-flight must be positive") }
        if let maxFrameBytes, maxFrameBytes < 1024 { throw ValidationError("--max-frame-bytes must be at least 1024") }
        if let shutdownTimeout, !(shutdownTimeout >= 0) { throw ValidationError("--shutdown-timeout must be >= 0") }
        for (flag, value) in [("--metrics-listen", metricsListen), ("--kafka-listen", kafkaListen)] {
            guard let value else { continue }
            do {
                _ = try HostPort.parse(value, setting: flag)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let kafkaDefaultPartitions, !(1...TopicConfig.maxPartitions).contains(kafkaDefaultPartitions) {
            throw ValidationError("--kafka-default-partitions must be between 1 and \(TopicConfig.maxPartitions)")
        }
    }

    /// The file's settings with the flags laid over them.
    func settings() throws(SluiceError) -> ServeSettings {
        var settings = try config.map { path throws(SluiceError) in try ServeSettings.load(path: path) } ?? ServeSettings()
        if let dataDir { settings.dataDir = dataDir }
        if let socket = location.socket { settings.socket = socket }
        if let socketMode { settings.socketMode = UInt32(socketMode, radix: 8) }
        if let logLevel { settings.logLevel = Logger.Level(rawValue: logLevel) }
        if let maxInFlight { settings.maxInFlight = maxInFlight }
        if let maxFrameBytes { settings.maxFrameBytes = maxFrameBytes }
        if let shutdownTimeout { settings.shutdownTimeoutSeconds = shutdownTimeout }
        if let metricsListen { settings.metricsListen = metricsListen }
        if let kafkaListen { settings.kafkaListen = kafkaListen }
        if let kafkaAutoCreateTopics { settings.kafkaAutoCreateTopics = kafkaAutoCreateTopics }
        if let kafkaDefaultPartitions { settings.kafkaDefaultPartitions = kafkaDefaultPartitions }
        return settings
    }

    func run() async throws {
        let settings: ServeSettings
        do {
            settings = try self.settings()
        } catch {
            Output.error("sluice serve: \(error.message)")
            throw ExitCode(Self.exitConfig)
        }
        let level = settings.logLevel ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let dataDirectory = settings.dataDir ?? Location.defaultDataDirectory
        let socketPath = settings.socket ?? location.socketPath(dataDirectory: dataDirectory)
        let descriptors = DescriptorLimit.raiseToHardLimit()
        Logger(label: "sluice.server").debug("descriptor limit", metadata: ["open_files": "\(descriptors)"])
        let stoppedCleanly: Bool
        do {
            let broker = try Broker(dataDirectory: dataDirectory, logger: Logger(label: "sluice.broker"))
            let server = SluiceServer(
                configuration: try Self.serverConfiguration(settings, socketPath: socketPath, metrics: registry),
                broker: broker, logger: Logger(label: "sluice.server"))
            server.handleTerminationSignals()
            do {
                try await server.start()
            } catch {
                await broker.shutdown()
                throw error
            }
            if let kafkaAddress = server.kafkaAddress { Output.line("kafka listening on \(kafkaAddress)") }
            Output.line("listening on \(socketPath)")
            // Start-up ran much code that serving never runs again: let the kernel forget those pages.
            ResidentCode.trim()
            await server.waitUntilStopped()
            stoppedCleanly = !server.shutdownTimedOut
        } catch let error as SluiceError {
            Output.error("sluice serve: \(error.message)")
            throw ExitCode(1)
        }
        if !stoppedCleanly { throw ExitCode(Self.exitShutdownTimedOut) }
    }

    static func serverConfiguration(_ settings: ServeSettings, socketPath: String,
                                    metrics: PrometheusCollectorRegistry) throws(SluiceError) -> ServerConfiguration
    {
        var configuration = ServerConfiguration(socketPath: socketPath)
        if let mode = settings.socketMode { configuration.socketMode = mode }
        configuration.socketOwner = settings.socketOwner
        configuration.socketGroup = settings.socketGroup
        if let durability = settings.defaultDurability { configuration.defaultDurability = durability }
        if let value = settings.maxConnections { configuration.maxConnections = value }
        if let value = settings.maxInFlight { configuration.maxInFlightPerConnection = value }
        if let value = settings.maxFrameBytes { configuration.maxFrameBytes = value }
        if let value = settings.maxResponseBytes { configuration.maxResponseBytes = value }
        if let seconds = settings.shutdownTimeoutSeconds {
            configuration.shutdownTimeout = .milliseconds(Int64(seconds * 1000))
        }
        configuration.access = settings.access
        configuration.metrics = metrics
        configuration.metricsListen = try settings.metricsListen.map { text throws(SluiceError) in
            try HostPort.parse(text, setting: "metrics_listen")
        }
        if let listen = settings.kafkaListen {
            let address = try HostPort.parse(listen, setting: "kafka_listen")
            var kafka = KafkaListenerSettings(host: address.host, port: address.port)
            kafka.autoCreateTopics = settings.kafkaAutoCreateTopics ?? false
            if let partitions = settings.kafkaDefaultPartitions { kafka.defaultPartitions = partitions }
            if let value = settings.maxFrameBytes { kafka.maxFrameBytes = max(value, kafka.maxFrameBytes) }
            if let value = settings.maxInFlight { kafka.maxQueuedPerConnection = value }
            configuration.kafka = kafka
        }
        return configuration
    }
}

import ArgumentParser
import CoreMetrics
import Logging
import Prometheus
import SluiceBroker
import SluiceCommandLine
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

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Data directory (default: $SLUICE_DATA_DIR, else ./sluice-data).", valueName: "dir"))
    var dataDir: String?

    @OptionGroup var location: Location

    @Option(
        name: .long, help: ArgumentHelp("Permissions of the socket file, in octal (default 660).", valueName: "mode"))
    var socketMode: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical (default info)."))
    var logLevel: String?

    @Option(
        name: .long, help: ArgumentHelp("Requests in flight allowed per connection (default 1024).", valueName: "n"))
    var maxInFlight: Int?

    @Option(name: .long, help: ArgumentHelp("Largest request frame accepted, in bytes.", valueName: "bytes"))
    var maxFrameBytes: Int?

    @Option(name: .long, help: ArgumentHelp("Seconds a SIGTERM waits for work in flight (default 10).", valueName: "s"))
    var shutdownTimeout: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve GET /metrics over HTTP at host:port (off by default).",
            valueName: "host:port"))
    var metricsListen: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also serve Kafka clients over TCP at host:port (off by default; see docs/KAFKA.md).",
            valueName: "host:port"))
    var kafkaListen: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Unix socket of the HTTP API and status page (default DATA_DIR/http.sock; empty for none).",
            valueName: "path"))
    var httpSocket: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also serve the HTTP API and status page over TCP at host:port (off by default; see docs/HTTP.md).",
            valueName: "host:port"))
    var httpListen: String?

    @Flag(
        name: .long, inversion: .prefixedNo, help: "Let Kafka clients create topics by asking for them (default off).")
    var kafkaAutoCreateTopics: Bool?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Partitions of topics Kafka clients create without a count (default 1).",
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
        for (flag, value) in [
            ("--metrics-listen", metricsListen), ("--kafka-listen", kafkaListen), ("--http-listen", httpListen),
        ] {
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

    /// The settings the flags give, to be laid over the file's (`validate()` has checked them).
    var flagSettings: ServeSettings {
        var settings = ServeSettings()
        settings.dataDir = dataDir
        settings.socket = location.socket
        settings.socketMode = socketMode.flatMap { UInt32($0, radix: 8) }
        settings.logLevel = logLevel.flatMap { Logger.Level(rawValue: $0) }
        settings.maxInFlight = maxInFlight
        settings.maxFrameBytes = maxFrameBytes
        settings.shutdownTimeoutSeconds = shutdownTimeout
        settings.metricsListen = metricsListen
        settings.kafkaListen = kafkaListen
        settings.httpSocket = httpSocket
        settings.httpListen = httpListen
        settings.kafkaAutoCreateTopics = kafkaAutoCreateTopics
        settings.kafkaDefaultPartitions = kafkaDefaultPartitions
        return settings
    }

    func run() async throws {
        let settings: ServeSettings
        do {
            settings = try ServeSettings.resolve(file: config, flags: flagSettings)
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
        // Settings that cannot work together (a Kafka listener beyond loopback without SASL, TLS in a build without
        // it) are a bad configuration too, refused before the data directory is opened.
        let configuration: ServerConfiguration
        do {
            configuration = try settings.serverConfiguration(
                socketPath: socketPath, metrics: registry, dataDirectory: dataDirectory)
        } catch {
            Output.error("sluice serve: \(error.message)")
            throw ExitCode(Self.exitConfig)
        }
        let descriptors = DescriptorLimit.raiseToHardLimit()
        Logger(label: "sluice.server").debug("descriptor limit", metadata: ["open_files": "\(descriptors)"])
        let stoppedCleanly: Bool
        do {
            let openTopics =
                settings.maxOpenTopics
                ?? (descriptors > 0 ? DescriptorLimit.openTopicBudget(limit: descriptors) : Broker.defaultMaxOpenTopics)
            Logger(label: "sluice.server").debug("open topics", metadata: ["max_open_topics": "\(openTopics)"])
            let broker = try Broker(
                dataDirectory: dataDirectory, logger: Logger(label: "sluice.broker"), maxOpenTopics: openTopics)
            let server = SluiceServer(
                configuration: configuration,
                broker: broker, logger: Logger(label: "sluice.server"))
            server.handleTerminationSignals()
            do {
                try await server.start()
            } catch {
                await broker.shutdown()
                throw error
            }
            if let kafkaAddress = server.kafkaAddress { Output.line("kafka listening on \(kafkaAddress)") }
            for address in server.httpAddresses { Output.line("http listening on \(address)") }
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
}

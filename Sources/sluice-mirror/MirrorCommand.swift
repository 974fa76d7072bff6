import ArgumentParser
import Dispatch
import SluiceMirror

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sluice-mirror` (also run as `sluice mirror`): copies Sluice topics into a Kafka cluster until stopped.
@main
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-mirror",
        abstract: "Copy Sluice topics into a Kafka cluster, continuously.",
        discussion: """
            Each record keeps its key, value, headers and timestamp and goes to the same partition number of the \
            same topic in the cluster, which must exist there with at least as many partitions (or pass \
            --create-topics). Production is idempotent (enable.idempotence=true, acks=all). Progress is the \
            committed offset of the Sluice consumer group --group, committed only once the cluster acknowledged \
            every record before it: see the lag with `sluice groups describe GROUP`. SIGINT or SIGTERM wait for \
            the acknowledgements, commit and exit 0. After a crash or SIGKILL the records since the last commit \
            are sent again (at least once). Exit codes: 1 at run time, 64 for usage and refused librdkafka settings.
            """)

    @Argument(
        help: ArgumentHelp(
            "Topics to copy: names or glob patterns (quote them: 'sensor.*').",
            valueName: "topic-or-pattern"))
    var topics: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Unix socket of the Sluice server (default: $SLUICE_SOCKET, else $SLUICE_DATA_DIR/sluice.sock, else ./sluice-data/sluice.sock).",
            valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("The Kafka cluster: host:port[,host:port...].", valueName: "servers"))
    var bootstrapServers: String

    @Option(
        name: .long, help: ArgumentHelp("Sluice consumer group that holds the mirror's progress.", valueName: "name"))
    var group: String = "sluice-mirror"

    @Flag(name: .long, help: "Create topics missing in the cluster, with the source's partition count.")
    var createTopics = false

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp(
            "A librdkafka setting, repeatable (applied last, so it wins over the flags below).", valueName: "key=value")
    )
    var settings: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "security.protocol: plaintext, ssl, sasl_plaintext, sasl_ssl.",
            valueName: "protocol"))
    var securityProtocol: String?

    @Option(
        name: .long, help: ArgumentHelp("sasl.mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, ...", valueName: "name"))
    var saslMechanism: String?

    @Option(name: .long, help: ArgumentHelp("sasl.username.", valueName: "user"))
    var saslUsername: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "sasl.password (default: $SLUICE_MIRROR_SASL_PASSWORD, which keeps it out of the process list).",
            valueName: "password"))
    var saslPassword: String?

    @Option(name: .long, help: ArgumentHelp("ssl.ca.location: CA certificate file.", valueName: "file"))
    var sslCaLocation: String?

    @Option(name: .long, help: ArgumentHelp("ssl.certificate.location: client certificate file.", valueName: "file"))
    var sslCertificateLocation: String?

    @Option(name: .long, help: ArgumentHelp("ssl.key.location: client private key file.", valueName: "file"))
    var sslKeyLocation: String?

    @Option(name: .long, help: ArgumentHelp("How often acknowledged progress is committed.", valueName: "ms"))
    var commitIntervalMs: Int = 1_000

    @Option(
        name: .long, help: ArgumentHelp("How long a stop waits for the cluster's acknowledgements.", valueName: "ms"))
    var flushTimeoutMs: Int32 = 30_000

    /// The librdkafka settings in the order they apply: convenience flags, then `-X`.
    func kafkaSettings() throws(MirrorError) -> [KafkaSetting] {
        var result = [KafkaSetting(key: "bootstrap.servers", value: bootstrapServers)]
        let password = saslPassword ?? getenv("SLUICE_MIRROR_SASL_PASSWORD").map { String(cString: $0) }
        let flags: [(String, String?)] = [
            ("security.protocol", securityProtocol), ("sasl.mechanism", saslMechanism),
            ("sasl.username", saslUsername), ("sasl.password", password), ("ssl.ca.location", sslCaLocation),
            ("ssl.certificate.location", sslCertificateLocation), ("ssl.key.location", sslKeyLocation),
        ]
        for case (let key, let value?) in flags { result.append(KafkaSetting(key: key, value: value)) }
        for text in settings { result.append(try KafkaSetting(parsing: text)) }
        return result
    }

    var socketPath: String {
        if let socket { return socket }
        if let env = getenv("SLUICE_SOCKET").map({ String(cString: $0) }), !env.isEmpty { return env }
        let dataDirectory = getenv("SLUICE_DATA_DIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        return "\(dataDirectory ?? "./sluice-data")/sluice.sock"
    }

    func validate() throws {
        do throws(MirrorError) {
            _ = try TopicSelector(topics)
            try Mirror.checkKafkaSettings(try kafkaSettings())
        } catch {
            throw ValidationError(error.description)
        }
        guard !group.isEmpty else { throw ValidationError("--group cannot be empty") }
        guard commitIntervalMs > 0 else { throw ValidationError("--commit-interval-ms must be positive") }
        guard flushTimeoutMs >= 0 else { throw ValidationError("--flush-timeout-ms cannot be negative") }
    }

    func run() async throws {
        do throws(MirrorError) {
            var mirrorSettings = MirrorSettings(
                socketPath: socketPath, topics: try TopicSelector(topics), group: group, kafka: try kafkaSettings())
            mirrorSettings.createTopics = createTopics
            mirrorSettings.commitIntervalMs = commitIntervalMs
            mirrorSettings.flushTimeoutMs = flushTimeoutMs
            let mirror = Mirror(settings: mirrorSettings)
            let sources = [SIGINT, SIGTERM].map { signalNumber -> any DispatchSourceSignal in
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { mirror.stop() }
                source.resume()
                return source
            }
            defer { for source in sources { source.cancel() } }
            try await mirror.run()
            MirrorLog.line("stopped; progress committed to group \(group)")
        } catch {
            MirrorLog.line(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}

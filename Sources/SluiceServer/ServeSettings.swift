import Logging
import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything `sluice serve` can be told, as read from its configuration file (JSON); every field is optional and a
/// command-line flag given for the same setting wins.
///
/// The file is one JSON object with snake_case keys (see `docs/sluice.example.json`); an unknown key is refused, so a
/// misspelt setting cannot be silently ignored. User and group names are resolved when the file is read.
package struct ServeSettings: Sendable, Equatable {
    package var dataDir: String?
    package var socket: String?
    /// Octal in the file (`"660"`).
    package var socketMode: UInt32?
    /// The uid and gid the socket file is given after it is bound (names or numbers in the file).
    package var socketOwner: UInt32?
    package var socketGroup: UInt32?
    /// Durability of topics created without one.
    package var defaultDurability: Durability?
    package var maxConnections: Int?
    package var maxInFlight: Int?
    package var maxFrameBytes: Int?
    package var maxResponseBytes: Int?
    /// Request bytes one connection, and all together, may hold in memory before the server stops reading.
    package var maxBufferedBytesPerConnection: Int?
    package var maxBufferedBytes: Int?
    /// How long a frame may take to arrive whole, in milliseconds.
    package var partialFrameTimeoutMs: Int?
    /// How long a SIGTERM waits for commits and requests in flight before the server exits anyway, in seconds.
    package var shutdownTimeoutSeconds: Double?
    package var logLevel: Logger.Level?
    /// `host:port` of the Prometheus endpoint (`GET /metrics`); off when nil.
    package var metricsListen: String?
    /// `host:port` of a Kafka-protocol TCP listener; off when nil. Parsed here, served by the Kafka listener.
    package var kafkaListen: String?
    /// Whether Kafka clients create topics by asking for their metadata (off when nil).
    package var kafkaAutoCreateTopics: Bool?
    /// Partitions of topics Kafka clients create without saying how many (1 when nil).
    package var kafkaDefaultPartitions: Int32?
    /// Connections the Kafka listener serves at once, counted apart from the Unix socket's `maxConnections`.
    package var kafkaMaxConnections: Int?
    /// How long a Kafka connection may stay idle before it is closed, in milliseconds; 0 never closes one.
    package var kafkaConnectionsMaxIdleMs: Int?
    /// The last of the Unix socket's `maxConnections` kept for administrators.
    package var reservedAdminConnections: Int?
    /// Whether Kafka clients must authenticate with SASL before anything but ApiVersions (false when nil).
    package var kafkaSASLRequired: Bool?
    /// The SASL mechanisms the Kafka listener enables (all three when nil).
    package var kafkaSASLMechanisms: Set<KafkaSASLMechanism>?
    /// The users Kafka clients authenticate as, salted and hashed (`kafka_sasl_users`).
    package var kafkaSASLUsers: KafkaSASLUsers?
    /// PEM files of a TLS certificate chain and private key for the Kafka listener: read so that a configuration
    /// asking for TLS is refused (this build serves none).
    package var kafkaTLSCertificate: String?
    package var kafkaTLSKey: String?
    /// Who may do what; nil allows every connection everything.
    package var access: AccessPolicy?
    /// Topics whose databases stay open at once (idle ones beyond it close); from the descriptor limit when nil
    /// (`DescriptorLimit.openTopicBudget`).
    package var maxOpenTopics: Int?
    /// The HTTP API's Unix socket: `DATA_DIR/http.sock` when nil, none when empty (`http_socket`).
    package var httpSocket: String?
    /// `host:port` of the HTTP API on TCP as well; off when nil (`http_listen`).
    package var httpListen: String?

    package init() {}

    /// Reads and checks the file at `path`. Throws `.invalidArgument` naming the file and the problem.
    package static func load(path: String) throws(SluiceError) -> ServeSettings {
        guard let file = fopen(path, "r") else {
            throw SluiceError(.invalidArgument, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 1 << 20 { throw SluiceError(.invalidArgument, "\(path) is over 1 MiB") }
        }
        do {
            return try parse(bytes)
        } catch {
            throw SluiceError(.invalidArgument, "\(path): \(error.message)")
        }
    }

    /// Parses a configuration file's contents.
    package static func parse(_ json: [UInt8]) throws(SluiceError) -> ServeSettings {
        let file: SettingsFile
        do {
            file = try JSONDecoder().decode(SettingsFile.self, from: Data(json))
        } catch let error as SluiceError {
            throw error
        } catch let DecodingError.dataCorrupted(context) {
            throw SluiceError(.invalidArgument, "not valid JSON: \(context.debugDescription) \(Self.path(context))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw SluiceError(.invalidArgument, "\(Self.path(context)): expected \(Self.typeName(type))")
        } catch {
            throw SluiceError(.invalidArgument, "\(error)")
        }
        return try file.settings()
    }

    static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type, is UInt32.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }

    /// A user name or a number, as `/etc/passwd` knows it.
    static func resolveUser(_ name: String) throws(SluiceError) -> UInt32 {
        if let uid = UInt32(name) { return uid }
        guard let entry = getpwnam(name) else { throw SluiceError(.invalidArgument, "unknown user '\(name)'") }
        return UInt32(entry.pointee.pw_uid)
    }

    /// A group name or a number, as `/etc/group` knows it.
    static func resolveGroup(_ name: String) throws(SluiceError) -> UInt32 {
        if let gid = UInt32(name) { return gid }
        guard let entry = getgrnam(name) else { throw SluiceError(.invalidArgument, "unknown group '\(name)'") }
        return UInt32(entry.pointee.gr_gid)
    }
}

/// The file as written, before names are resolved and values checked.
struct SettingsFile: Decodable {
    var dataDir: String?
    var socket: String?
    var socketMode: String?
    var socketOwner: String?
    var socketGroup: String?
    var defaultDurability: String?
    var maxConnections: Int?
    var maxInFlight: Int?
    var maxFrameBytes: Int?
    var maxResponseBytes: Int?
    var maxBufferedBytesPerConnection: Int?
    var maxBufferedBytes: Int?
    var partialFrameTimeoutMs: Int?
    var shutdownTimeout: Double?
    var logLevel: String?
    var metricsListen: String?
    var kafkaListen: String?
    var kafkaAutoCreateTopics: Bool?
    var kafkaDefaultPartitions: Int32?
    var kafkaMaxConnections: Int?
    var kafkaConnectionsMaxIdleMs: Int?
    var reservedAdminConnections: Int?
    var kafkaSASLRequired: Bool?
    var kafkaSASLMechanisms: [String]?
    var kafkaSASLUsers: [SASLUserFile]?
    var kafkaTLSCertificate: String?
    var kafkaTLSKey: String?
    var access: [RuleFile]?
    var maxOpenTopics: Int?
    var httpSocket: String?
    var httpListen: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataDir = "data_dir"
        case socket
        case socketMode = "socket_mode"
        case socketOwner = "socket_owner"
        case socketGroup = "socket_group"
        case defaultDurability = "default_durability"
        case maxConnections = "max_connections"
        case maxInFlight = "max_in_flight"
        case maxFrameBytes = "max_frame_bytes"
        case maxResponseBytes = "max_response_bytes"
        case shutdownTimeout = "shutdown_timeout"
        case logLevel = "log_level"
        case metricsListen = "metrics_listen"
        case kafkaListen = "kafka_listen"
        case access
        case kafkaAutoCreateTopics = "kafka_auto_create_topics"
        case kafkaDefaultPartitions = "kafka_default_partitions"
        case kafkaSASLRequired = "kafka_sasl_required"
        case kafkaSASLMechanisms = "kafka_sasl_mechanisms"
        case kafkaSASLUsers = "kafka_sasl_users"
        case kafkaTLSCertificate = "kafka_tls_certificate"
        case kafkaTLSKey = "kafka_tls_key"
        case maxBufferedBytesPerConnection = "max_buffered_bytes_per_connection"
        case maxBufferedBytes = "max_buffered_bytes"
        case partialFrameTimeoutMs = "partial_frame_timeout_ms"
        case kafkaMaxConnections = "kafka_max_connections"
        case kafkaConnectionsMaxIdleMs = "kafka_connections_max_idle_ms"
        case reservedAdminConnections = "reserved_admin_connections"
        case maxOpenTopics = "max_open_topics"
        case httpSocket = "http_socket"
        case httpListen = "http_listen"
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self, in: "the configuration")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataDir = try c.decodeIfPresent(String.self, forKey: .dataDir)
        socket = try c.decodeIfPresent(String.self, forKey: .socket)
        socketMode = try c.decodeIfPresent(String.self, forKey: .socketMode)
        socketOwner = try c.decodeIfPresent(String.self, forKey: .socketOwner)
        socketGroup = try c.decodeIfPresent(String.self, forKey: .socketGroup)
        defaultDurability = try c.decodeIfPresent(String.self, forKey: .defaultDurability)
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections)
        maxInFlight = try c.decodeIfPresent(Int.self, forKey: .maxInFlight)
        maxFrameBytes = try c.decodeIfPresent(Int.self, forKey: .maxFrameBytes)
        maxResponseBytes = try c.decodeIfPresent(Int.self, forKey: .maxResponseBytes)
        maxBufferedBytesPerConnection = try c.decodeIfPresent(Int.self, forKey: .maxBufferedBytesPerConnection)
        maxBufferedBytes = try c.decodeIfPresent(Int.self, forKey: .maxBufferedBytes)
        partialFrameTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .partialFrameTimeoutMs)
        shutdownTimeout = try c.decodeIfPresent(Double.self, forKey: .shutdownTimeout)
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel)
        metricsListen = try c.decodeIfPresent(String.self, forKey: .metricsListen)
        kafkaListen = try c.decodeIfPresent(String.self, forKey: .kafkaListen)
        kafkaAutoCreateTopics = try c.decodeIfPresent(Bool.self, forKey: .kafkaAutoCreateTopics)
        kafkaDefaultPartitions = try c.decodeIfPresent(Int32.self, forKey: .kafkaDefaultPartitions)
        kafkaMaxConnections = try c.decodeIfPresent(Int.self, forKey: .kafkaMaxConnections)
        kafkaConnectionsMaxIdleMs = try c.decodeIfPresent(Int.self, forKey: .kafkaConnectionsMaxIdleMs)
        reservedAdminConnections = try c.decodeIfPresent(Int.self, forKey: .reservedAdminConnections)
        kafkaSASLRequired = try c.decodeIfPresent(Bool.self, forKey: .kafkaSASLRequired)
        kafkaSASLMechanisms = try c.decodeIfPresent([String].self, forKey: .kafkaSASLMechanisms)
        kafkaSASLUsers = try c.decodeIfPresent([SASLUserFile].self, forKey: .kafkaSASLUsers)
        kafkaTLSCertificate = try c.decodeIfPresent(String.self, forKey: .kafkaTLSCertificate)
        kafkaTLSKey = try c.decodeIfPresent(String.self, forKey: .kafkaTLSKey)
        access = try c.decodeIfPresent([RuleFile].self, forKey: .access)
        maxOpenTopics = try c.decodeIfPresent(Int.self, forKey: .maxOpenTopics)
        httpSocket = try c.decodeIfPresent(String.self, forKey: .httpSocket)
        httpListen = try c.decodeIfPresent(String.self, forKey: .httpListen)
    }

    func settings() throws(SluiceError) -> ServeSettings {
        var settings = ServeSettings()
        settings.dataDir = dataDir
        settings.socket = socket
        if let socketMode {
            guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
                throw SluiceError(.invalidArgument, "socket_mode must be octal such as \"660\", not '\(socketMode)'")
            }
            settings.socketMode = mode
        }
        settings.socketOwner = try socketOwner.map { name throws(SluiceError) in try ServeSettings.resolveUser(name) }
        settings.socketGroup = try socketGroup.map { name throws(SluiceError) in try ServeSettings.resolveGroup(name) }
        if let defaultDurability {
            guard let durability = Durability(rawValue: defaultDurability) else {
                throw SluiceError(
                    .invalidArgument, "default_durability must be full or normal, not '\(defaultDurability)'")
            }
            settings.defaultDurability = durability
        }
        for (name, value, minimum) in [
            ("max_connections", maxConnections, 1), ("max_in_flight", maxInFlight, 1),
            ("max_frame_bytes", maxFrameBytes, 1024),
            ("max_response_bytes", maxResponseBytes, 1024),
            ("max_buffered_bytes_per_connection", maxBufferedBytesPerConnection, 1024),
            ("max_buffered_bytes", maxBufferedBytes, 1024),
            ("partial_frame_timeout_ms", partialFrameTimeoutMs, 1),
            ("kafka_max_connections", kafkaMaxConnections, 1),
            ("kafka_connections_max_idle_ms", kafkaConnectionsMaxIdleMs, 0),
            ("reserved_admin_connections", reservedAdminConnections, 0),
            ("max_open_topics", maxOpenTopics, 1),
        ] {
            if let value, value < minimum {
                throw SluiceError(.invalidArgument, "\(name) must be at least \(minimum), not \(value)")
            }
        }
        settings.maxConnections = maxConnections
        settings.maxInFlight = maxInFlight
        settings.maxFrameBytes = maxFrameBytes
        settings.maxResponseBytes = maxResponseBytes
        settings.maxBufferedBytesPerConnection = maxBufferedBytesPerConnection
        settings.maxBufferedBytes = maxBufferedBytes
        settings.partialFrameTimeoutMs = partialFrameTimeoutMs
        if let reservedAdminConnections, reservedAdminConnections >= (maxConnections ?? 1024) {
            throw SluiceError(
                .invalidArgument,
                "reserved_admin_connections (\(reservedAdminConnections)) must be below max_connections "
                    + "(\(maxConnections ?? 1024))")
        }
        settings.kafkaMaxConnections = kafkaMaxConnections
        settings.kafkaConnectionsMaxIdleMs = kafkaConnectionsMaxIdleMs
        settings.reservedAdminConnections = reservedAdminConnections
        settings.maxOpenTopics = maxOpenTopics
        if let shutdownTimeout, !(shutdownTimeout >= 0 && shutdownTimeout <= 3600) {
            throw SluiceError(.invalidArgument, "shutdown_timeout must be between 0 and 3600 seconds")
        }
        settings.shutdownTimeoutSeconds = shutdownTimeout
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw SluiceError(
                    .invalidArgument,
                    "log_level must be one of trace, debug, info, notice, warning, error, critical")
            }
            settings.logLevel = level
        }
        if let metricsListen { _ = try HostPort.parse(metricsListen, setting: "metrics_listen") }
        if let kafkaListen { _ = try HostPort.parse(kafkaListen, setting: "kafka_listen") }
        settings.metricsListen = metricsListen
        settings.kafkaListen = kafkaListen
        if let httpListen { _ = try HostPort.parse(httpListen, setting: "http_listen") }
        settings.httpSocket = httpSocket
        settings.httpListen = httpListen
        if let kafkaDefaultPartitions, !(1...TopicConfig.maxPartitions).contains(kafkaDefaultPartitions) {
            throw SluiceError(
                .invalidArgument,
                "kafka_default_partitions must be between 1 and \(TopicConfig.maxPartitions)")
        }
        settings.kafkaAutoCreateTopics = kafkaAutoCreateTopics
        settings.kafkaDefaultPartitions = kafkaDefaultPartitions
        try saslSettings(into: &settings)
        if let access {
            var rules: [AccessRule] = []
            for (index, rule) in access.enumerated() {
                do {
                    rules.append(try rule.rule())
                } catch {
                    throw SluiceError(.invalidArgument, "access[\(index)]: \(error.message)")
                }
            }
            settings.access = AccessPolicy(rules: rules)
        }
        return settings
    }
}

/// One access rule as written: `{"users": [...], "groups": [...], "sasl_users": [...], "operations": [...],
/// "topics": [...], "consumer_groups": [...]}`.
struct RuleFile: Decodable {
    var users: [String]?
    var groups: [String]?
    var saslUsers: [String]?
    var operations: [String]
    var topics: [String]?
    var consumerGroups: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case users, groups, operations, topics
        case consumerGroups = "consumer_groups"
        case saslUsers = "sasl_users"
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self, in: "an access rule")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        users = try c.decodeIfPresent([String].self, forKey: .users)
        groups = try c.decodeIfPresent([String].self, forKey: .groups)
        saslUsers = try c.decodeIfPresent([String].self, forKey: .saslUsers)
        operations = try c.decode([String].self, forKey: .operations)
        topics = try c.decodeIfPresent([String].self, forKey: .topics)
        consumerGroups = try c.decodeIfPresent([String].self, forKey: .consumerGroups)
    }

    func rule() throws(SluiceError) -> AccessRule {
        var rule = AccessRule(operations: [], topics: topics ?? ["*"], consumerGroups: consumerGroups ?? ["*"])
        for user in users ?? [] {
            if user == "*" { rule.everyone = true } else { rule.uids.insert(try ServeSettings.resolveUser(user)) }
        }
        for group in groups ?? [] { rule.gids.insert(try ServeSettings.resolveGroup(group)) }
        for user in saslUsers ?? [] {
            if user == "*" { rule.everySASLUser = true } else { rule.saslUsers.insert(user) }
        }
        if !rule.everyone && rule.uids.isEmpty && rule.gids.isEmpty && rule.saslUsers.isEmpty && !rule.everySASLUser {
            throw SluiceError(
                .invalidArgument,
                "names no users or groups (use \"users\": [\"*\"] for everyone, \"sasl_users\" for SASL users)")
        }
        for operation in operations {
            guard let parsed = AccessOperation(rawValue: operation) else {
                throw SluiceError(.invalidArgument, "unknown operation '\(operation)'; known: produce, consume, admin")
            }
            rule.operations.insert(parsed)
        }
        if rule.operations.isEmpty { throw SluiceError(.invalidArgument, "grants no operations") }
        return rule
    }
}

/// A coding key for any name, to list the keys an object holds.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(
    _ decoder: any Decoder, _: Keys.Type, in what: String
) throws {
    let known = Set(Keys.allCases.map(\.stringValue))
    let present = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
    if let unknown = present.sorted().first(where: { !known.contains($0) }) {
        throw SluiceError(
            .invalidArgument,
            "unknown key '\(unknown)' in \(what); known keys: \(known.sorted().joined(separator: ", "))")
    }
}

/// A `host:port` listen address.
package struct HostPort: Sendable, Equatable {
    package var host: String
    package var port: Int

    /// Parses `host:port` (`[::1]:9464` for IPv6). Throws `.invalidArgument` naming `setting`.
    package static func parse(_ text: String, setting: String) throws(SluiceError) -> HostPort {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw SluiceError(.invalidArgument, "\(setting) must be host:port such as 127.0.0.1:9464, not '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw SluiceError(.invalidArgument, "\(setting) has no host: '\(text)'") }
        return HostPort(host: host, port: port)
    }
}

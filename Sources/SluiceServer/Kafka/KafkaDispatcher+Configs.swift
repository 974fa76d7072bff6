import SluiceBroker
import SluiceCore
import SluiceKafka

/// One kind of config resource that DescribeConfigs, AlterConfigs and IncrementalAlterConfigs can name. Each kind
/// is answered by one value of this protocol, picked by `KafkaDispatcher.configResource(_:)`: adding a kind (GROUP,
/// type 32, say) is one conforming type and one line there.
protocol KafkaConfigResource: Sendable {
    /// The resource's settings (only `keys`, when named; unknown keys are left out), or its error.
    func describe(
        name: String, keys: [String]?, includeSynonyms: Bool, includeDocumentation: Bool,
        access: KafkaRequestAccess
    ) async -> KafkaDescribeConfigsResponse.Result

    /// Changes the settings (`validateOnly`: checks them only) and answers the resource's result.
    func alter(name: String, change: KafkaConfigChange, validateOnly: Bool, access: KafkaRequestAccess) async
        -> KafkaAlterConfigsResult
}

/// What AlterConfigs and IncrementalAlterConfigs ask of a resource.
enum KafkaConfigChange: Sendable {
    /// AlterConfigs: these keys take these values, every other key goes back to its default.
    case replace([KafkaAlterConfigsRequest.Config])
    /// IncrementalAlterConfigs: each entry sets, deletes, appends to or subtracts from one key; the others stay.
    case incremental([KafkaIncrementalAlterConfigsRequest.Config])
}

extension KafkaDispatcher {
    /// The resource kind a config request names, or nil for one Sluice does not have (answered INVALID_REQUEST).
    func configResource(_ type: Int8) -> (any KafkaConfigResource)? {
        switch type {
        case KafkaConfigResourceType.topic: KafkaTopicConfigResource(broker: broker)
        case KafkaConfigResourceType.broker: KafkaBrokerConfigResource(dispatcher: self)
        case KafkaConfigResourceType.group: KafkaGroupConfigResource(broker: broker)
        default: nil
        }
    }

    func describeConfigs(_ request: KafkaDescribeConfigsRequest, access: KafkaRequestAccess) async
        -> KafkaDescribeConfigsResponse
    {
        var results: [KafkaDescribeConfigsResponse.Result] = []
        for resource in request.resources {
            guard let kind = configResource(resource.resourceType) else {
                results.append(
                    .init(
                        errorCode: .invalidRequest,
                        errorMessage: "config resource type \(resource.resourceType) is not supported",
                        resourceType: resource.resourceType, resourceName: resource.resourceName, configs: []))
                continue
            }
            results.append(
                await kind.describe(
                    name: resource.resourceName, keys: resource.configurationKeys,
                    includeSynonyms: request.includeSynonyms, includeDocumentation: request.includeDocumentation,
                    access: access))
        }
        return KafkaDescribeConfigsResponse(results: results)
    }

    func alterConfigs(_ request: KafkaAlterConfigsRequest, access: KafkaRequestAccess) async
        -> KafkaAlterConfigsResponse
    {
        var results: [KafkaAlterConfigsResult] = []
        for resource in request.resources {
            results.append(
                await alter(
                    type: resource.resourceType, name: resource.resourceName, change: .replace(resource.configs),
                    validateOnly: request.validateOnly, access: access))
        }
        return KafkaAlterConfigsResponse(responses: results, flexibleFrom: 2)
    }

    func incrementalAlterConfigs(_ request: KafkaIncrementalAlterConfigsRequest, access: KafkaRequestAccess) async
        -> KafkaAlterConfigsResponse
    {
        var results: [KafkaAlterConfigsResult] = []
        for resource in request.resources {
            results.append(
                await alter(
                    type: resource.resourceType, name: resource.resourceName,
                    change: .incremental(resource.configs), validateOnly: request.validateOnly, access: access))
        }
        return KafkaAlterConfigsResponse(responses: results, flexibleFrom: 1)
    }

    private func alter(
        type: Int8, name: String, change: KafkaConfigChange, validateOnly: Bool, access: KafkaRequestAccess
    ) async -> KafkaAlterConfigsResult {
        guard let kind = configResource(type) else {
            return .init(
                errorCode: .invalidRequest, errorMessage: "config resource type \(type) is not supported",
                resourceType: type, resourceName: name)
        }
        return await kind.alter(name: name, change: change, validateOnly: validateOnly, access: access)
    }
}

// MARK: - Topics

/// One topic setting under its Kafka name: how it reads from a `TopicConfig` and which native key it sets.
struct KafkaTopicSetting: Sendable {
    var name: String
    /// The native setting it maps onto; nil for a fact Sluice does not let change (read-only).
    var key: TopicConfigKey?
    var type: Int8
    var documentation: String
    /// Limits whose native null (unlimited) is Kafka's -1.
    var unlimitedIsMinusOne = false
    /// The value of a read-only setting.
    var fixed: String? = nil

    /// The setting's value in `config`, as Kafka writes it.
    func value(in config: TopicConfig) -> String? {
        guard let key else { return fixed }
        let native = config.configEntries.first { $0.key == key.rawValue }?.value
        if unlimitedIsMinusOne { return native ?? "-1" }
        return native
    }

    /// The native entry for a Kafka value (-1 is unlimited for a limit).
    func entry(_ value: String) -> ConfigEntry? {
        guard let key else { return nil }
        if unlimitedIsMinusOne, value.trimmingSpaces == "-1" { return ConfigEntry(key, nil) }
        return ConfigEntry(key, value.trimmingSpaces)
    }

    /// The native entry that puts the setting back to its default.
    var resetEntry: ConfigEntry? {
        guard let key else { return nil }
        return TopicConfig().configEntries.first { $0.key == key.rawValue }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}

/// TOPIC resources (type 2): Sluice's topic settings under Kafka's names (`retention.ms`, `retention.bytes`,
/// `cleanup.policy`, `max.message.bytes`, `delete.retention.ms`; -1 for unlimited, as Kafka writes it) and two of
/// Sluice's own (`sluice.durability`, `sluice.retention.records`), plus read-only facts Kafka tools look for.
/// Describing needs any grant on the topic, altering `admin` on it; either refused is TOPIC_AUTHORIZATION_FAILED
/// in the resource's result. A bad key or value is INVALID_CONFIG with the reason, and nothing changes.
struct KafkaTopicConfigResource: KafkaConfigResource {
    let broker: Broker

    static let settings: [KafkaTopicSetting] = [
        .init(
            name: "cleanup.policy", key: .cleanupPolicy, type: KafkaConfigType.list,
            documentation: "delete, compact or compact,delete"),
        .init(
            name: "delete.retention.ms", key: .deleteRetentionMs, type: KafkaConfigType.long,
            documentation: "How long a tombstone that is the latest record for its key is kept under compaction"),
        .init(
            name: "max.message.bytes", key: .maxMessageBytes, type: KafkaConfigType.int,
            documentation: "The largest record accepted (key, value and headers)"),
        .init(
            name: "retention.bytes", key: .retentionBytes, type: KafkaConfigType.long,
            documentation: "Bytes of record data kept per partition under the delete policy; -1 is unlimited",
            unlimitedIsMinusOne: true),
        .init(
            name: "retention.ms", key: .retentionMs, type: KafkaConfigType.long,
            documentation: "How long records are kept under the delete policy, by timestamp; -1 is unlimited",
            unlimitedIsMinusOne: true),
        .init(
            name: "sluice.durability", key: .durability, type: KafkaConfigType.string,
            documentation: "full: a commit survives power loss; normal: it survives a crash of the process"),
        .init(
            name: "sluice.retention.records", key: .retentionRecords, type: KafkaConfigType.long,
            documentation: "Records kept per partition under the delete policy; -1 is unlimited",
            unlimitedIsMinusOne: true),
        .init(
            name: "message.timestamp.type", key: nil, type: KafkaConfigType.string,
            documentation: "Records keep the producer's timestamp", fixed: "CreateTime"),
        .init(
            name: "min.insync.replicas", key: nil, type: KafkaConfigType.int,
            documentation: "One copy on one host", fixed: "1"),
    ]

    /// The setting a name means: its Kafka name, or the native key (`durability`, `retention.records`).
    static func setting(named name: String) -> KafkaTopicSetting? {
        settings.first { $0.name == name } ?? settings.first { $0.key?.rawValue == name }
    }

    func describe(
        name: String, keys: [String]?, includeSynonyms: Bool, includeDocumentation: Bool,
        access: KafkaRequestAccess
    ) async -> KafkaDescribeConfigsResponse.Result {
        let type = KafkaConfigResourceType.topic
        guard access.permits(.describe(topic: name)) else {
            return .init(
                errorCode: .topicAuthorizationFailed, errorMessage: "not authorized to describe topic '\(name)'",
                resourceType: type, resourceName: name, configs: [])
        }
        let config: TopicConfig
        do throws(SluiceError) {
            config = try broker.topicConfig(name)
        } catch {
            return .init(
                errorCode: KafkaErrorCode(error), errorMessage: error.message, resourceType: type,
                resourceName: name, configs: [])
        }
        let defaults = TopicConfig()
        let wanted = keys.map { Set($0) }
        let configs = Self.settings.filter { wanted?.contains($0.name) ?? true }.map { setting in
            let value = setting.value(in: config)
            let defaultValue = setting.value(in: defaults)
            let source =
                setting.key != nil && value != defaultValue
                ? KafkaConfigSource.dynamicTopic : KafkaConfigSource.defaultConfig
            var synonyms: [KafkaDescribeConfigsResponse.Synonym] = []
            if includeSynonyms {
                synonyms.append(.init(name: setting.name, value: value, source: source))
                if source != KafkaConfigSource.defaultConfig {
                    synonyms.append(
                        .init(name: setting.name, value: defaultValue, source: KafkaConfigSource.defaultConfig))
                }
            }
            return KafkaDescribeConfigsResponse.Config(
                name: setting.name, value: value, readOnly: setting.key == nil, configSource: source,
                synonyms: synonyms, configType: setting.type,
                documentation: includeDocumentation ? setting.documentation : nil)
        }
        return .init(resourceType: type, resourceName: name, configs: configs)
    }

    func alter(name: String, change: KafkaConfigChange, validateOnly: Bool, access: KafkaRequestAccess) async
        -> KafkaAlterConfigsResult
    {
        let type = KafkaConfigResourceType.topic
        guard access.permits(.topic(.admin, name)) else {
            return .init(
                errorCode: .topicAuthorizationFailed, errorMessage: "not authorized to alter topic '\(name)'",
                resourceType: type, resourceName: name)
        }
        do throws(SluiceError) {
            var config = try broker.topicConfig(name)
            let entries: [ConfigEntry]
            do throws(KafkaConfigRefusal) {
                entries = try Self.entries(for: change, current: config)
            } catch {
                return .init(
                    errorCode: error.code, errorMessage: error.message, resourceType: type, resourceName: name)
            }
            do throws(SluiceError) {
                try config.apply(entries)
                try config.validate()
            } catch {
                return .init(
                    errorCode: .invalidConfig, errorMessage: error.message, resourceType: type, resourceName: name)
            }
            if !validateOnly {
                let altered = config
                try await broker.alterTopic(name) { current in
                    var next = altered
                    // Partitions are CreatePartitions' business: one added meanwhile stays.
                    next.partitions = current.partitions
                    current = next
                }
            }
            return .init(resourceType: type, resourceName: name)
        } catch {
            let code: KafkaErrorCode = error.code == .invalidArgument ? .invalidConfig : KafkaErrorCode(error)
            return .init(errorCode: code, errorMessage: error.message, resourceType: type, resourceName: name)
        }
    }

    /// The native entries a change comes to, given the topic's settings now.
    static func entries(for change: KafkaConfigChange, current: TopicConfig) throws(KafkaConfigRefusal)
        -> [ConfigEntry]
    {
        var entries: [ConfigEntry] = []
        var named: Set<String> = []
        func known(_ name: String) throws(KafkaConfigRefusal) -> KafkaTopicSetting {
            guard let setting = setting(named: name) else {
                let names = settings.filter { $0.key != nil }.map(\.name).joined(separator: ", ")
                throw KafkaConfigRefusal(.invalidConfig, "unknown topic config '\(name)'; Sluice has \(names)")
            }
            guard setting.key != nil else {
                throw KafkaConfigRefusal(.invalidConfig, "topic config '\(name)' is read-only in Sluice")
            }
            guard named.insert(setting.name).inserted else {
                throw KafkaConfigRefusal(.invalidRequest, "topic config '\(name)' is named more than once")
            }
            return setting
        }
        switch change {
        case .replace(let configs):
            for config in configs {
                let setting = try known(config.name)
                guard let value = config.value, let entry = setting.entry(value) else {
                    throw KafkaConfigRefusal(.invalidConfig, "topic config '\(config.name)' needs a value")
                }
                entries.append(entry)
            }
            // AlterConfigs replaces the whole set: what it does not name goes back to its default.
            for setting in settings where !named.contains(setting.name) {
                if let reset = setting.resetEntry { entries.append(reset) }
            }
        case .incremental(let configs):
            for config in configs {
                let setting = try known(config.name)
                guard let operation = config.operation else {
                    throw KafkaConfigRefusal(.invalidRequest, "unknown config operation \(config.configOperation)")
                }
                switch operation {
                case .set:
                    guard let value = config.value, let entry = setting.entry(value) else {
                        throw KafkaConfigRefusal(.invalidConfig, "topic config '\(config.name)' needs a value")
                    }
                    entries.append(entry)
                case .delete:
                    if let reset = setting.resetEntry { entries.append(reset) }
                case .append, .subtract:
                    guard setting.key == .cleanupPolicy else {
                        throw KafkaConfigRefusal(
                            .invalidConfig,
                            "config value \(operation == .append ? "append" : "subtract") is not allowed for "
                                + "config key '\(config.name)': it is not a list")
                    }
                    var policy = current.cleanupPolicy
                    for part in (config.value ?? "").split(separator: ",") {
                        guard let named = CleanupPolicy(name: String(part)) else {
                            throw KafkaConfigRefusal(
                                .invalidConfig, "cleanup.policy has no value '\(part)'; it takes delete and compact")
                        }
                        if operation == .append { policy.formUnion(named) } else { policy.subtract(named) }
                    }
                    guard !policy.isEmpty else {
                        throw KafkaConfigRefusal(.invalidConfig, "cleanup.policy needs delete, compact or both")
                    }
                    entries.append(ConfigEntry(.cleanupPolicy, policy.name))
                }
            }
        }
        return entries
    }
}

/// A config change refused before it reaches the topic: the Kafka error and why.
struct KafkaConfigRefusal: Error {
    var code: KafkaErrorCode
    var message: String

    init(_ code: KafkaErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

// MARK: - The broker

/// The BROKER resource (type 4), node 1 (or the empty name, the cluster's defaults): the settings of the server
/// that matter to Kafka clients and tools, read-only, all from `sluice serve`'s configuration. Describing needs
/// `admin` on some topic (Kafka's DESCRIBE_CONFIGS on the cluster), refused CLUSTER_AUTHORIZATION_FAILED; altering
/// is answered INVALID_REQUEST, as Kafka answers a setting that cannot be changed dynamically.
struct KafkaBrokerConfigResource: KafkaConfigResource {
    let dispatcher: KafkaDispatcher

    var settings: [(name: String, value: String, type: Int8, documentation: String)] {
        let kafka = dispatcher.settings
        let defaults = TopicConfig()
        var settings: [(name: String, value: String, type: Int8, documentation: String)] = [
            (
                "advertised.listeners", "PLAINTEXT://\(dispatcher.advertised.host):\(dispatcher.advertised.port)",
                KafkaConfigType.string, "Where clients connect (kafka_listen)"
            ),
            (
                "auto.create.topics.enable", String(kafka.autoCreateTopics), KafkaConfigType.boolean,
                "kafka_auto_create_topics"
            ),
            ("broker.id", String(KafkaDispatcher.nodeID), KafkaConfigType.int, "The one broker"),
            (
                "connections.max.idle.ms", kafka.connectionsMaxIdle.map { String($0.milliseconds) } ?? "-1",
                KafkaConfigType.long, "kafka_connections_max_idle_ms"
            ),
            ("default.replication.factor", "1", KafkaConfigType.int, "One copy on one host"),
            (
                "group.initial.rebalance.delay.ms", "3000", KafkaConfigType.int,
                "How long a new classic group waits for more members"
            ),
            ("log.cleanup.policy", defaults.cleanupPolicy.name, KafkaConfigType.list, "A new topic's cleanup.policy"),
            ("log.dirs", dispatcher.broker.dataDirectory, KafkaConfigType.string, "The data directory"),
            (
                "log.retention.bytes", String(defaults.retentionBytes ?? -1), KafkaConfigType.long,
                "A new topic's retention.bytes"
            ),
            (
                "log.retention.ms", String(defaults.retentionMs ?? -1), KafkaConfigType.long,
                "A new topic's retention.ms"
            ),
            ("max.connections", String(kafka.maxConnections), KafkaConfigType.int, "kafka_max_connections"),
            (
                "message.max.bytes", String(defaults.maxMessageBytes), KafkaConfigType.int,
                "A new topic's max.message.bytes"
            ),
            ("min.insync.replicas", "1", KafkaConfigType.int, "One copy on one host"),
            ("node.id", String(KafkaDispatcher.nodeID), KafkaConfigType.int, "The one broker"),
            ("num.partitions", String(kafka.defaultPartitions), KafkaConfigType.int, "kafka_default_partitions"),
            ("offsets.topic.replication.factor", "1", KafkaConfigType.short, "One copy on one host"),
            (
                "sasl.enabled.mechanisms", kafka.sasl.mechanisms.sorted().map(\.rawValue).joined(separator: ","),
                KafkaConfigType.list, "kafka_sasl_mechanisms"
            ),
            ("socket.request.max.bytes", String(kafka.maxFrameBytes), KafkaConfigType.int, "max_frame_bytes"),
        ]
        settings.sort { $0.name < $1.name }
        return settings
    }

    private func refusal(_ name: String) -> (KafkaErrorCode, String)? {
        guard name.isEmpty || name == String(KafkaDispatcher.nodeID) else {
            return (.invalidRequest, "unexpected broker id '\(name)': this is broker \(KafkaDispatcher.nodeID)")
        }
        return nil
    }

    func describe(
        name: String, keys: [String]?, includeSynonyms: Bool, includeDocumentation: Bool,
        access: KafkaRequestAccess
    ) async -> KafkaDescribeConfigsResponse.Result {
        let type = KafkaConfigResourceType.broker
        guard access.permits(.topic(.admin, nil)) else {
            return .init(
                errorCode: .clusterAuthorizationFailed, errorMessage: "not authorized to describe the broker",
                resourceType: type, resourceName: name, configs: [])
        }
        if let (code, message) = refusal(name) {
            return .init(errorCode: code, errorMessage: message, resourceType: type, resourceName: name, configs: [])
        }
        let wanted = keys.map { Set($0) }
        let source = KafkaConfigSource.staticBroker
        let configs = settings.filter { wanted?.contains($0.name) ?? true }.map { setting in
            KafkaDescribeConfigsResponse.Config(
                name: setting.name, value: setting.value, readOnly: true, configSource: source,
                synonyms: includeSynonyms ? [.init(name: setting.name, value: setting.value, source: source)] : [],
                configType: setting.type, documentation: includeDocumentation ? setting.documentation : nil)
        }
        return .init(resourceType: type, resourceName: name, configs: configs)
    }

    func alter(name: String, change: KafkaConfigChange, validateOnly: Bool, access: KafkaRequestAccess) async
        -> KafkaAlterConfigsResult
    {
        let type = KafkaConfigResourceType.broker
        guard access.permits(.topic(.admin, nil)) else {
            return .init(
                errorCode: .clusterAuthorizationFailed, errorMessage: "not authorized to alter the broker",
                resourceType: type, resourceName: name)
        }
        if let (code, message) = refusal(name) {
            return .init(errorCode: code, errorMessage: message, resourceType: type, resourceName: name)
        }
        return .init(
            errorCode: .invalidRequest,
            errorMessage: "cannot update broker configs dynamically: they come from sluice serve's configuration "
                + "file and flags; change them there and restart",
            resourceType: type, resourceName: name)
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

import SluiceBroker
import SluiceCore
import SluiceKafka

/// GROUP config resources (type 32, as Kafka 4 has them): a share group's settings (`ShareGroupConfig`, Kafka's
/// names) through DescribeConfigs, AlterConfigs and IncrementalAlterConfigs, onto `Broker.groupConfig` and
/// `Broker.alterGroupConfig`. Settings may be set before the group's first member joins; a group with no settings
/// yet is described with the defaults, as Kafka describes a group it has not seen. Describing needs to describe the
/// group, altering `admin` on it (Kafka's ALTER_CONFIGS on the group).
struct KafkaGroupConfigResource: KafkaConfigResource {
    let broker: Broker

    static func type(of key: ShareGroupConfig.Key) -> Int8 {
        switch key {
        case .recordLockDurationMs, .deliveryCountLimit, .maxRecordLocks, .sessionTimeoutMs, .heartbeatIntervalMs:
            KafkaConfigType.int
        case .autoOffsetReset, .deadLetterTopic: KafkaConfigType.string
        }
    }

    static func documentation(of key: ShareGroupConfig.Key) -> String {
        switch key {
        case .recordLockDurationMs: "How long a member holds an acquired record before it is released"
        case .deliveryCountLimit: "Deliveries after which a record not accepted is archived"
        case .autoOffsetReset: "Where the group starts on a partition it never read: latest or earliest"
        case .deadLetterTopic: "The topic archived records are copied to first (KIP-1191)"
        case .maxRecordLocks: "Records in flight per partition at most"
        case .sessionTimeoutMs: "A member silent for this long is removed and its records released"
        case .heartbeatIntervalMs: "How often members heartbeat"
        }
    }

    func describe(
        name: String, keys: [String]?, includeSynonyms: Bool, includeDocumentation: Bool,
        access: KafkaRequestAccess
    ) async -> KafkaDescribeConfigsResponse.Result {
        let type = KafkaConfigResourceType.group
        guard access.permits(.describe(group: name)) else {
            return .init(
                errorCode: .groupAuthorizationFailed, errorMessage: "not authorized to describe group '\(name)'",
                resourceType: type, resourceName: name, configs: [])
        }
        let defaults = ShareGroupConfig().entries
        let entries: [ConfigEntry]
        do throws(SluiceError) {
            entries = try await broker.groupConfig(group: name)
        } catch  where error.code == .unknownGroup {
            entries = defaults
        } catch {
            return .init(
                errorCode: KafkaErrorCode(error), errorMessage: error.message, resourceType: type,
                resourceName: name, configs: [])
        }
        let wanted = keys.map { Set($0) }
        let configs = entries.filter { wanted?.contains($0.key) ?? true }.map { entry in
            let key = ShareGroupConfig.Key(rawValue: entry.key)
            let defaultValue = defaults.first { $0.key == entry.key }?.value
            let source = entry.value == defaultValue ? KafkaConfigSource.defaultConfig : KafkaConfigSource.groupConfig
            var synonyms: [KafkaDescribeConfigsResponse.Synonym] = []
            if includeSynonyms {
                synonyms.append(.init(name: entry.key, value: entry.value, source: source))
                if source != KafkaConfigSource.defaultConfig {
                    synonyms.append(
                        .init(name: entry.key, value: defaultValue, source: KafkaConfigSource.defaultConfig))
                }
            }
            return KafkaDescribeConfigsResponse.Config(
                name: entry.key, value: entry.value, readOnly: false, configSource: source, synonyms: synonyms,
                configType: key.map(Self.type(of:)) ?? KafkaConfigType.string,
                documentation: includeDocumentation ? key.map(Self.documentation(of:)) : nil)
        }
        return .init(resourceType: type, resourceName: name, configs: configs)
    }

    func alter(name: String, change: KafkaConfigChange, validateOnly: Bool, access: KafkaRequestAccess) async
        -> KafkaAlterConfigsResult
    {
        let type = KafkaConfigResourceType.group
        guard access.permits(.group(.admin, name)) else {
            return .init(
                errorCode: .groupAuthorizationFailed, errorMessage: "not authorized to alter group '\(name)'",
                resourceType: type, resourceName: name)
        }
        var set: [String: String] = [:]
        var remove: [String] = []
        switch change {
        case .replace(let configs):
            // AlterConfigs: the keys named take their values, every other one goes back to its default.
            for config in configs {
                if let value = config.value { set[config.name] = value } else { remove.append(config.name) }
            }
            remove += ShareGroupConfig.Key.allCases.map(\.rawValue).filter { set[$0] == nil && !remove.contains($0) }
        case .incremental(let configs):
            for config in configs {
                switch config.operation {
                case .set?:
                    guard let value = config.value else {
                        return .init(
                            errorCode: .invalidConfig, errorMessage: "\(config.name): SET without a value",
                            resourceType: type, resourceName: name)
                    }
                    set[config.name] = value
                case .delete?: remove.append(config.name)
                case .append?, .subtract?:
                    return .init(
                        errorCode: .invalidConfig,
                        errorMessage: "\(config.name) is not a list: APPEND and SUBTRACT do not apply",
                        resourceType: type, resourceName: name)
                case nil:
                    return .init(
                        errorCode: .invalidRequest,
                        errorMessage: "unknown config operation \(config.configOperation) for \(config.name)",
                        resourceType: type, resourceName: name)
                }
            }
        }
        do throws(SluiceError) {
            // Checked as a whole first: nothing is stored when one value is refused.
            var checked = ShareGroupConfig()
            for (key, value) in set { try checked.set(key, value) }
            for key in remove { try checked.remove(key) }
            if !validateOnly { try await broker.alterGroupConfig(group: name, set: set, remove: remove) }
            return .init(resourceType: type, resourceName: name)
        } catch {
            let code: KafkaErrorCode = error.code == .invalidArgument ? .invalidConfig : KafkaErrorCode(error)
            return .init(errorCode: code, errorMessage: error.message, resourceType: type, resourceName: name)
        }
    }
}

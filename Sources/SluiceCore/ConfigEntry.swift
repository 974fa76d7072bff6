/// One topic setting: a key and its value as text (`nil`: unset or unlimited), as the protocols carry it.
///
/// `TopicConfig.configEntries`, `TopicConfig.apply(_:)` and `TopicConfig(partitions:configEntries:)` convert to and
/// from `TopicConfig`.
public struct ConfigEntry: Sendable, Hashable {
    public var key: String
    public var value: String?

    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }

    public init(_ key: TopicConfigKey, _ value: String?) {
        self.init(key: key.rawValue, value: value)
    }
}

/// The topic settings a `ConfigEntry` can name. The partition count travels in its own field, never as an entry.
public enum TopicConfigKey: String, Sendable, Hashable, CaseIterable {
    /// Decimal milliseconds; null is unlimited.
    case retentionMs = "retention.ms"
    /// Decimal bytes per partition; null is unlimited.
    case retentionBytes = "retention.bytes"
    /// Decimal records per partition; null is unlimited.
    case retentionRecords = "retention.records"
    /// `delete`, `compact` or `compact,delete`; null is the default, `delete`.
    case cleanupPolicy = "cleanup.policy"
    /// `full` or `normal`; null is the default, `full`.
    case durability = "durability"
    /// Decimal bytes; null is the default, 1 MiB.
    case maxMessageBytes = "max.message.bytes"
    /// Decimal milliseconds a tombstone is kept under compaction; null is the default, one day.
    case deleteRetentionMs = "delete.retention.ms"
}

extension TopicConfig {
    /// Every setting except the partition count, in `TopicConfigKey.allCases` order, with its current value.
    public var configEntries: [ConfigEntry] {
        TopicConfigKey.allCases.map { key in
            switch key {
            case .retentionMs: ConfigEntry(key, retentionMs.map(String.init))
            case .retentionBytes: ConfigEntry(key, retentionBytes.map(String.init))
            case .retentionRecords: ConfigEntry(key, retentionRecords.map(String.init))
            case .cleanupPolicy: ConfigEntry(key, cleanupPolicy.name)
            case .durability: ConfigEntry(key, durability.rawValue)
            case .maxMessageBytes: ConfigEntry(key, String(maxMessageBytes))
            case .deleteRetentionMs: ConfigEntry(key, String(deleteRetentionMs))
            }
        }
    }

    /// The default settings with `partitions` and then `entries` applied.
    ///
    /// Throws `.invalidArgument` as `apply(_:)` does. Ranges are not checked: call `validate()`.
    public init(partitions: Int32, configEntries entries: [ConfigEntry]) throws(SluiceError) {
        self.init(partitions: partitions)
        try apply(entries)
    }

    /// Sets the settings the entries name and leaves the others alone; all or nothing.
    ///
    /// A null value makes a limit unlimited and resets any other setting to its default. Throws
    /// `.invalidArgument` naming the key for an unknown key, a key given twice or a value that does not parse.
    /// Ranges are not checked: call `validate()`.
    public mutating func apply(_ entries: [ConfigEntry]) throws(SluiceError) {
        var config = self
        var seen: Set<TopicConfigKey> = []
        let defaults = TopicConfig()
        for entry in entries {
            guard let key = TopicConfigKey(rawValue: entry.key) else {
                let known = TopicConfigKey.allCases.map(\.rawValue).joined(separator: ", ")
                throw SluiceError(.invalidArgument, "unknown config key '\(entry.key)'; known keys: \(known)")
            }
            if !seen.insert(key).inserted {
                throw SluiceError(.invalidArgument, "config key '\(entry.key)' is given more than once")
            }
            switch key {
            case .retentionMs: config.retentionMs = try Self.parseLimit(entry)
            case .retentionBytes: config.retentionBytes = try Self.parseLimit(entry)
            case .retentionRecords: config.retentionRecords = try Self.parseLimit(entry)
            case .cleanupPolicy:
                guard let value = entry.value else {
                    config.cleanupPolicy = defaults.cleanupPolicy
                    continue
                }
                guard let policy = CleanupPolicy(name: value) else {
                    throw Self.badValue(entry, expected: "delete, compact or compact,delete")
                }
                config.cleanupPolicy = policy
            case .durability:
                guard let value = entry.value else {
                    config.durability = defaults.durability
                    continue
                }
                guard let durability = Durability(rawValue: value) else {
                    throw Self.badValue(entry, expected: "full or normal")
                }
                config.durability = durability
            case .maxMessageBytes:
                guard let value = entry.value else {
                    config.maxMessageBytes = defaults.maxMessageBytes
                    continue
                }
                guard let bytes = Int(value) else { throw Self.badValue(entry, expected: "a decimal integer") }
                config.maxMessageBytes = bytes
            case .deleteRetentionMs:
                guard let value = entry.value else {
                    config.deleteRetentionMs = defaults.deleteRetentionMs
                    continue
                }
                guard let millis = Int64(value) else { throw Self.badValue(entry, expected: "a decimal integer") }
                config.deleteRetentionMs = millis
            }
        }
        self = config
    }

    private static func parseLimit(_ entry: ConfigEntry) throws(SluiceError) -> Int64? {
        guard let value = entry.value else { return nil }
        guard let limit = Int64(value) else { throw badValue(entry, expected: "a decimal integer or null") }
        return limit
    }

    private static func badValue(_ entry: ConfigEntry, expected: String) -> SluiceError {
        SluiceError(
            .invalidArgument, "config '\(entry.key)' has value '\(entry.value ?? "null")'; expected \(expected)")
    }
}

import ArgumentParser
import SluiceCore

/// A retention limit on the command line: a positive number, or `none` / `unlimited`.
enum Limit: ExpressibleByArgument, Equatable {
    case unlimited
    case value(Int64)

    init?(argument: String) {
        switch argument.lowercased() {
        case "none", "unlimited": self = .unlimited
        default:
            guard let value = Int64(argument), value > 0 else { return nil }
            self = .value(value)
        }
    }

    /// The config entry value: decimal text, or null for unlimited.
    var configValue: String? {
        switch self {
        case .unlimited: nil
        case .value(let value): String(value)
        }
    }
}

/// The topic settings `topics create` and `topics alter` accept.
struct TopicSettings: ParsableArguments {
    @Option(help: ArgumentHelp("Oldest record age kept, in ms ('none': forever).", valueName: "ms"))
    var retentionMs: Limit?

    @Option(help: ArgumentHelp("Record bytes kept per partition ('none': unlimited).", valueName: "bytes"))
    var retentionBytes: Limit?

    @Option(help: ArgumentHelp("Records kept per partition ('none': unlimited).", valueName: "n"))
    var retentionRecords: Limit?

    @Option(help: ArgumentHelp("delete, compact or compact,delete.", valueName: "policy"))
    var cleanupPolicy: String?

    @Option(
        help: ArgumentHelp(
            "full (survives power loss) or normal (survives a crash of the process).",
            valueName: "level"))
    var durability: String?

    @Option(help: ArgumentHelp("Largest record accepted, in bytes.", valueName: "bytes"))
    var maxMessageBytes: Int?

    @Option(help: ArgumentHelp("With compaction: how long a tombstone is kept, in ms.", valueName: "ms"))
    var deleteRetentionMs: Int64?

    func validate() throws {
        if let cleanupPolicy, CleanupPolicy(name: cleanupPolicy) == nil {
            throw ValidationError("--cleanup-policy must be delete, compact or compact,delete, not '\(cleanupPolicy)'")
        }
        if let durability, Durability(rawValue: durability) == nil {
            throw ValidationError("--durability must be full or normal, not '\(durability)'")
        }
        if let maxMessageBytes, maxMessageBytes < 1 {
            throw ValidationError("--max-message-bytes must be positive")
        }
        if let deleteRetentionMs, deleteRetentionMs < 0 {
            throw ValidationError("--delete-retention-ms cannot be negative")
        }
    }

    /// One entry per setting given, in a fixed order.
    var entries: [ConfigEntry] {
        var entries: [ConfigEntry] = []
        if let retentionMs { entries.append(ConfigEntry(.retentionMs, retentionMs.configValue)) }
        if let retentionBytes { entries.append(ConfigEntry(.retentionBytes, retentionBytes.configValue)) }
        if let retentionRecords { entries.append(ConfigEntry(.retentionRecords, retentionRecords.configValue)) }
        if let cleanupPolicy, let policy = CleanupPolicy(name: cleanupPolicy) {
            entries.append(ConfigEntry(.cleanupPolicy, policy.name))
        }
        if let durability { entries.append(ConfigEntry(.durability, durability)) }
        if let maxMessageBytes { entries.append(ConfigEntry(.maxMessageBytes, String(maxMessageBytes))) }
        if let deleteRetentionMs { entries.append(ConfigEntry(.deleteRetentionMs, String(deleteRetentionMs))) }
        return entries
    }
}

/// How a topic's commits reach the disk.
public enum Durability: String, Sendable, Hashable, CaseIterable {
    /// `synchronous=FULL`: a commit survives power loss. The default.
    case full
    /// `synchronous=NORMAL`: a commit survives a crash of the process, but the last commits may be lost on power loss.
    case normal
}

/// What the sweeper does with old records.
public struct CleanupPolicy: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Delete records by age, size and count.
    public static let delete = CleanupPolicy(rawValue: 1)
    /// Keep only the latest record for each key.
    public static let compact = CleanupPolicy(rawValue: 2)

    /// The configuration spelling: `delete`, `compact` or `compact,delete`.
    public var name: String {
        switch (contains(.compact), contains(.delete)) {
        case (true, true): "compact,delete"
        case (true, false): "compact"
        default: "delete"
        }
    }

    public init?(name: String) {
        var policy: CleanupPolicy = []
        for part in name.split(separator: ",") {
            switch part.trimmingCharacters() {
            case "delete": policy.insert(.delete)
            case "compact": policy.insert(.compact)
            default: return nil
            }
        }
        if policy.isEmpty { return nil }
        self = policy
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// A topic's settings. `nil` limits are unlimited.
///
/// The defaults suit an appliance that runs unattended for years on a small disk: records are kept for 7 days
/// (`retention.ms`, as Kafka does) *and* at most 1 GiB of record data per partition (`retention.bytes`, which Kafka
/// leaves unlimited), so that a runaway producer fills a bounded share of the disk rather than all of it. Raise or
/// lift either limit per topic when the disk is planned for it.
public struct TopicConfig: Sendable, Hashable {
    public static let defaultMaxMessageBytes = 1 << 20
    public static let defaultRetentionMs: Int64 = 7 * 24 * 3_600_000
    public static let defaultRetentionBytes: Int64 = 1 << 30
    public static let defaultDeleteRetentionMs: Int64 = 24 * 3_600_000

    public var partitions: Int32
    /// Oldest record age kept, by record timestamp, in milliseconds. Applies under the `delete` policy.
    public var retentionMs: Int64?
    /// Largest size kept per partition, in bytes of record data. Applies under the `delete` policy.
    public var retentionBytes: Int64?
    /// Largest number of records kept per partition (counted in offsets). Applies under the `delete` policy.
    public var retentionRecords: Int64?
    public var cleanupPolicy: CleanupPolicy
    /// Under compaction, how long a tombstone (a key with no value) that is the latest record for its key is kept,
    /// counted from its timestamp, in milliseconds. Consumers that read the log within this time see the deletion.
    public var deleteRetentionMs: Int64
    public var durability: Durability
    /// Largest record (key, value and headers) accepted.
    public var maxMessageBytes: Int

    public init(
        partitions: Int32 = 1,
        retentionMs: Int64? = TopicConfig.defaultRetentionMs,
        retentionBytes: Int64? = TopicConfig.defaultRetentionBytes,
        retentionRecords: Int64? = nil,
        cleanupPolicy: CleanupPolicy = .delete,
        deleteRetentionMs: Int64 = TopicConfig.defaultDeleteRetentionMs,
        durability: Durability = .full,
        maxMessageBytes: Int = TopicConfig.defaultMaxMessageBytes
    ) {
        self.partitions = partitions
        self.retentionMs = retentionMs
        self.retentionBytes = retentionBytes
        self.retentionRecords = retentionRecords
        self.cleanupPolicy = cleanupPolicy
        self.deleteRetentionMs = deleteRetentionMs
        self.durability = durability
        self.maxMessageBytes = maxMessageBytes
    }

    public static let maxPartitions: Int32 = 10_000

    /// Throws `.invalidArgument` naming the first setting out of range.
    public func validate() throws(SluiceError) {
        if partitions < 1 || partitions > Self.maxPartitions {
            throw SluiceError(
                .invalidArgument, "partitions must be between 1 and \(Self.maxPartitions), not \(partitions)")
        }
        if let ms = retentionMs, ms <= 0 {
            throw SluiceError(.invalidArgument, "retention.ms must be positive, not \(ms)")
        }
        if let bytes = retentionBytes, bytes <= 0 {
            throw SluiceError(.invalidArgument, "retention.bytes must be positive, not \(bytes)")
        }
        if let records = retentionRecords, records <= 0 {
            throw SluiceError(.invalidArgument, "retention.records must be positive, not \(records)")
        }
        if deleteRetentionMs < 0 {
            throw SluiceError(.invalidArgument, "delete.retention.ms must not be negative, not \(deleteRetentionMs)")
        }
        if maxMessageBytes < 1 || maxMessageBytes > 64 << 20 {
            throw SluiceError(
                .invalidArgument, "max.message.bytes must be between 1 and \(64 << 20), not \(maxMessageBytes)")
        }
    }
}

/// A partition's offsets: the first still stored (log start) and the next to be written (log end, high watermark).
public struct PartitionOffsets: Sendable, Hashable {
    public var partition: Int32
    public var logStartOffset: Int64
    public var nextOffset: Int64

    public init(partition: Int32, logStartOffset: Int64, nextOffset: Int64) {
        self.partition = partition
        self.logStartOffset = logStartOffset
        self.nextOffset = nextOffset
    }
}

/// A consumer group's committed position in one partition: the next offset it will consume.
public struct CommittedOffset: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var metadata: String?

    public init(topic: String, partition: Int32, offset: Int64, metadata: String? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
    }
}

/// Where an offset lookup should land.
public enum OffsetSpec: Sendable, Hashable {
    /// The log-start offset: the first record still stored.
    case earliest
    /// The next offset to be written (the log-end offset).
    case latest
    /// The first offset whose record's timestamp is at or after this time (ms since the Unix epoch).
    case timestamp(Int64)

    /// The wire encoding: -2 earliest, -1 latest, a timestamp otherwise.
    public var rawValue: Int64 {
        switch self {
        case .earliest: -2
        case .latest: -1
        case .timestamp(let millis): millis
        }
    }

    /// Decodes the wire encoding; other negative values are `nil`.
    public init?(rawValue: Int64) {
        switch rawValue {
        case -2: self = .earliest
        case -1: self = .latest
        case 0...: self = .timestamp(rawValue)
        default: return nil
        }
    }
}

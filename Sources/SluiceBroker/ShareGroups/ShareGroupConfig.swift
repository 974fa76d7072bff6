import SluiceCore

/// A share group's settings, under Kafka's names (`GroupConfig` in Kafka 4, KIP-932; the dead-letter topic is
/// KIP-1191's name). Kept in the catalog per group; a key never set has its default.
package struct ShareGroupConfig: Sendable, Hashable {
    /// How long a member holds an acquired record before it is released for redelivery.
    package var recordLockDurationMs: Int64 = 30_000
    /// Deliveries after which a record not accepted is archived (and dead-lettered).
    package var deliveryCountLimit: Int16 = 5
    /// Where a share group starts reading a partition it never read: the end (`latest`) or the log start.
    package var autoOffsetReset: AutoOffsetReset = .latest
    /// The topic archived records are copied to first; `nil`: none, they are only archived.
    package var deadLetterTopic: String?
    /// Records in flight per partition at most (between the start offset and the next offset to acquire).
    package var maxRecordLocks: Int = 2000
    /// A member that does not heartbeat for this long is removed, and its locks released.
    package var sessionTimeoutMs: Int32 = 45_000
    /// How often members are told to heartbeat.
    package var heartbeatIntervalMs: Int32 = 5_000

    package enum AutoOffsetReset: String, Sendable, Hashable {
        case latest, earliest
    }

    package init() {}

    /// The keys, as Kafka names them.
    package enum Key: String, Sendable, Hashable, CaseIterable {
        case recordLockDurationMs = "share.record.lock.duration.ms"
        case deliveryCountLimit = "share.delivery.count.limit"
        case autoOffsetReset = "share.auto.offset.reset"
        case deadLetterTopic = "errors.deadletterqueue.topic.name"
        case maxRecordLocks = "group.share.partition.max.record.locks"
        case sessionTimeoutMs = "share.session.timeout.ms"
        case heartbeatIntervalMs = "share.heartbeat.interval.ms"
    }

    /// Every key with its value (`nil` for no dead-letter topic).
    package var entries: [ConfigEntry] {
        Key.allCases.map { key in
            switch key {
            case .recordLockDurationMs: ConfigEntry(key: key.rawValue, value: String(recordLockDurationMs))
            case .deliveryCountLimit: ConfigEntry(key: key.rawValue, value: String(deliveryCountLimit))
            case .autoOffsetReset: ConfigEntry(key: key.rawValue, value: autoOffsetReset.rawValue)
            case .deadLetterTopic: ConfigEntry(key: key.rawValue, value: deadLetterTopic)
            case .maxRecordLocks: ConfigEntry(key: key.rawValue, value: String(maxRecordLocks))
            case .sessionTimeoutMs: ConfigEntry(key: key.rawValue, value: String(sessionTimeoutMs))
            case .heartbeatIntervalMs: ConfigEntry(key: key.rawValue, value: String(heartbeatIntervalMs))
            }
        }
    }

    /// The settings from stored key/value pairs (as `set` validated them); unknown keys are ignored.
    package init(stored: [String: String]) {
        self.init()
        for (key, value) in stored {
            try? set(key, value)
        }
    }

    /// Sets `key` from its text, validating it (`invalidArgument` naming the key, its range and the value).
    package mutating func set(_ name: String, _ value: String) throws(SluiceError) {
        guard let key = Key(rawValue: name) else {
            throw SluiceError(
                .invalidArgument,
                "unknown group setting '\(name)'; known: \(Key.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func integer(_ range: ClosedRange<Int64>) throws(SluiceError) -> Int64 {
            guard let number = Int64(value.trimmingSpaces), range.contains(number) else {
                throw SluiceError(
                    .invalidArgument,
                    "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(value)'")
            }
            return number
        }
        switch key {
        case .recordLockDurationMs: recordLockDurationMs = try integer(Self.lockDurationRange)
        case .deliveryCountLimit: deliveryCountLimit = Int16(try integer(Self.deliveryCountLimitRange))
        case .autoOffsetReset:
            guard let reset = AutoOffsetReset(rawValue: value.trimmingSpaces.lowercased()) else {
                throw SluiceError(.invalidArgument, "\(name) must be 'latest' or 'earliest', not '\(value)'")
            }
            autoOffsetReset = reset
        case .deadLetterTopic:
            let topic = value.trimmingSpaces
            if topic.isEmpty {
                deadLetterTopic = nil
            } else {
                do throws(SluiceError) {
                    try TopicName.validate(topic)
                } catch {
                    throw SluiceError(.invalidArgument, "\(name): \(error.message)")
                }
                deadLetterTopic = topic
            }
        case .maxRecordLocks: maxRecordLocks = Int(try integer(Self.maxRecordLocksRange))
        case .sessionTimeoutMs: sessionTimeoutMs = Int32(try integer(Self.sessionTimeoutRange))
        case .heartbeatIntervalMs: heartbeatIntervalMs = Int32(try integer(Self.heartbeatIntervalRange))
        }
    }

    /// Puts `key` back to its default.
    package mutating func remove(_ name: String) throws(SluiceError) {
        guard let key = Key(rawValue: name) else {
            throw SluiceError(.invalidArgument, "unknown group setting '\(name)'")
        }
        let defaults = ShareGroupConfig()
        switch key {
        case .recordLockDurationMs: recordLockDurationMs = defaults.recordLockDurationMs
        case .deliveryCountLimit: deliveryCountLimit = defaults.deliveryCountLimit
        case .autoOffsetReset: autoOffsetReset = defaults.autoOffsetReset
        case .deadLetterTopic: deadLetterTopic = nil
        case .maxRecordLocks: maxRecordLocks = defaults.maxRecordLocks
        case .sessionTimeoutMs: sessionTimeoutMs = defaults.sessionTimeoutMs
        case .heartbeatIntervalMs: heartbeatIntervalMs = defaults.heartbeatIntervalMs
        }
    }

    package static let lockDurationRange: ClosedRange<Int64> = 100...3_600_000
    package static let deliveryCountLimitRange: ClosedRange<Int64> = 1...100
    package static let maxRecordLocksRange: ClosedRange<Int64> = 1...10_000
    package static let sessionTimeoutRange: ClosedRange<Int64> = 1_000...1_800_000
    package static let heartbeatIntervalRange: ClosedRange<Int64> = 100...1_800_000
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}

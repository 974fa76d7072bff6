/// How a `Consumer` starts, resets and fetches.
public struct ConsumerConfiguration: Sendable, Hashable {
    /// Where to start when there is no position to go by.
    public enum OffsetReset: Sendable, Hashable {
        /// The first record still stored.
        case earliest
        /// The next record to be written: only new records.
        case latest
    }

    /// The consumer group whose committed offsets a partition starts from (when not sought) and `commit()` stores.
    public var group: String?
    /// Where a partition starts when it was not sought and the group has no committed offset for it, and where it
    /// goes when its position is out of range (e.g. deleted by retention).
    public var autoOffsetReset: OffsetReset = .latest
    /// The most record bytes one poll returns (one record more when a single record is larger); at least 1, or
    /// the server refuses the poll's fetch with `.invalidArgument`.
    public var maxBytes: Int32 = 4 << 20
    /// The most record bytes one poll returns per partition; at least 1.
    public var partitionMaxBytes: Int32 = 1 << 20
    /// The record bytes a poll waits for, up to its `maxWaitMs`; 0 or more.
    public var minBytes: Int32 = 1
    /// With `subscribe`: how long the server waits without a heartbeat before it removes this member and gives its
    /// partitions to others (the server accepts 1 s to 5 min). See `heartbeatIntervalMs`.
    public var sessionTimeoutMs: Int32 = 10_000
    /// With `subscribe`: how long the server may hold a heartbeat that has nothing new to tell (as Kafka's
    /// `heartbeat.interval.ms`): an idle member is heard from about this often, while a change of its assignment
    /// reaches it at once, since the next heartbeat goes out as soon as one is answered (a long poll). The server
    /// holds no longer than a third of the session timeout; values below 100 ms count as 100 ms. A server that
    /// predates held heartbeats is sent one every this many milliseconds instead.
    public var heartbeatIntervalMs: Int32 = 3_000
    /// With `subscribe`: how often `poll` commits the positions of the records it returned before; `nil` commits
    /// only when asked (`commit()`), on revocation and on `close()`.
    public var autoCommitIntervalMs: Int? = 5_000
    /// Whether a poll that returned records sends the next fetch at once, so that the server reads the next records
    /// while the application processes these (as Kafka clients do). The next poll uses that fetch if the
    /// assignment and positions are unchanged and its `maxWaitMs` is no shorter; otherwise the answer is dropped.
    public var prefetch: Bool = true
    /// Names this consumer in `sluice groups describe`.
    public var clientID: String = "sluice-consumer"

    public init(group: String? = nil, autoOffsetReset: OffsetReset = .latest) {
        self.group = group
        self.autoOffsetReset = autoOffsetReset
    }
}

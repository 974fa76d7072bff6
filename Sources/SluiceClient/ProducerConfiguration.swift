/// How a `Producer` batches, acknowledges and retries.
public struct ProducerConfiguration: Sendable, Hashable {
    /// When the server answers a produce.
    public enum Acks: Sendable, Hashable {
        /// Never: records are taken as acknowledged once written to the socket; errors go unreported.
        case none
        /// Once the records are committed to the database, with their offsets.
        case afterCommit
    }

    /// How long a record may wait for more records to join its batch before the batch is sent, in milliseconds.
    /// With 0 a record goes at once when none of its partition's batches is in flight; otherwise records gather
    /// until a batch is full or one in flight is answered.
    public var lingerMs: Int
    /// The most records sent in one batch for one partition.
    public var batchSize: Int
    /// The most bytes in one batch for one partition: each record's key, value and headers plus about 20 bytes of
    /// framing. A larger record goes alone.
    public var maxBatchBytes: Int
    /// `.afterCommit`: each record is acknowledged with its offset once committed. `.none`: records are
    /// acknowledged, with offset -1, as soon as they are written to the socket, and errors go unreported.
    public var acks: Acks
    /// How many times a batch is sent again after a retriable error (`ErrorCode.isRetriable`, including a lost
    /// connection) before its records fail. Without idempotence a retried batch may be stored twice.
    public var retries: Int
    /// The wait before the first retry, in milliseconds; it doubles with each retry, up to 10 times this.
    public var retryBackoffMs: Int
    /// The most produce requests waiting for an answer at once, all partitions together.
    public var maxInFlightRequests: Int
    /// Idempotent produce: the producer gets an id from the server and numbers its batches per partition, so that
    /// a batch sent again (after a lost connection, a timeout, a server crash) is stored once. Needs a server that
    /// supports produce version 1; against an older one the producer carries on without (at-least-once).
    public var idempotent: Bool
    /// The most batches of one partition waiting for an answer at once (with `idempotent`; without, one, so that a
    /// retry cannot reorder records). Order is kept: the server appends one connection's batches in order.
    public var maxInFlightPerPartition: Int
    /// The `timeoutMs` of produce requests, in milliseconds: 1 or more (the server refuses other values with
    /// `.invalidArgument`). The server of this version waits for every commit, however long, and never answers
    /// `.timeout`.
    public var requestTimeoutMs: Int
    /// `waitForCapacity()` suspends while this many records or more are enqueued and not yet acknowledged.
    public var maxBufferedRecords: Int

    public init(
        lingerMs: Int = 5, batchSize: Int = 1000, maxBatchBytes: Int = 1 << 20,
        acks: Acks = .afterCommit, retries: Int = 5, retryBackoffMs: Int = 100,
        maxInFlightRequests: Int = 64, requestTimeoutMs: Int = 30_000, maxBufferedRecords: Int = 100_000,
        idempotent: Bool = true, maxInFlightPerPartition: Int = 5
    ) {
        self.lingerMs = lingerMs
        self.batchSize = batchSize
        self.maxBatchBytes = maxBatchBytes
        self.acks = acks
        self.retries = retries
        self.retryBackoffMs = retryBackoffMs
        self.maxInFlightRequests = maxInFlightRequests
        self.requestTimeoutMs = requestTimeoutMs
        self.maxBufferedRecords = maxBufferedRecords
        self.idempotent = idempotent
        self.maxInFlightPerPartition = maxInFlightPerPartition
    }

    /// The back-off before retry number `attempt` (1 for the first retry).
    func backoff(attempt: Int) -> Int {
        let base = max(retryBackoffMs, 0)
        let shift = min(max(attempt - 1, 0), 10)
        return min(base << shift, base * 10)
    }
}

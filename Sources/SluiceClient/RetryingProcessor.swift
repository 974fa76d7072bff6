import SluiceCore

/// Runs a handler for each consumed record with retries, and sends a record that keeps failing to a dead-letter
/// topic, so one bad message never stops a partition.
///
/// A failure is retried after a back-off that doubles from `initialBackoffMs` up to `maxBackoffMs`, for at most
/// `maxAttempts` attempts in all. Then the record goes to the dead-letter topic with its key, value, headers and
/// timestamp, plus headers naming where it came from and why it failed:
/// `sluice.dlq.topic`, `sluice.dlq.partition`, `sluice.dlq.offset`, `sluice.dlq.attempts`, `sluice.dlq.error`.
/// The caller commits as usual: a dead-lettered record counts as processed.
public struct RetryingProcessor: Sendable {
    public var maxAttempts: Int
    public var initialBackoffMs: Int
    public var maxBackoffMs: Int
    /// Where failed records go; `nil` uses `TOPIC.dlq` for a record of `TOPIC`.
    public var deadLetterTopic: String?
    private let producer: Producer

    /// What became of one record.
    public enum Outcome: Sendable, Hashable {
        /// The handler succeeded, on this attempt (1 = the first).
        case processed(attempts: Int)
        /// Every attempt failed; the record is in the dead-letter topic at this offset.
        case deadLettered(attempts: Int, topic: String, partition: Int32, offset: Int64)
    }

    public init(
        producer: Producer, maxAttempts: Int = 3, initialBackoffMs: Int = 100, maxBackoffMs: Int = 5_000,
        deadLetterTopic: String? = nil
    ) {
        precondition(maxAttempts >= 1, "at least one attempt")
        self.producer = producer
        self.maxAttempts = maxAttempts
        self.initialBackoffMs = initialBackoffMs
        self.maxBackoffMs = maxBackoffMs
        self.deadLetterTopic = deadLetterTopic
    }

    /// The dead-letter topic for records of `topic`.
    public func deadLetterTopic(for topic: String) -> String { deadLetterTopic ?? "\(topic).dlq" }

    /// Runs `handler` until it succeeds or the attempts run out, then dead-letters the record.
    ///
    /// Throws only when the dead-letter produce itself fails (e.g. `.unknownTopic` for a missing dead-letter topic):
    /// then the record is neither processed nor parked, and the caller must not commit past it.
    public func process(_ record: ConsumedRecord, _ handler: (ConsumedRecord) async throws -> Void)
        async throws(SluiceError) -> Outcome
    {
        var backoff = initialBackoffMs
        var lastError = ""
        for attempt in 1...maxAttempts {
            do {
                try await handler(record)
                return .processed(attempts: attempt)
            } catch {
                lastError = "\(error)"
            }
            if attempt < maxAttempts {
                try? await Task.sleep(for: .milliseconds(backoff))
                backoff = min(backoff * 2, maxBackoffMs)
            }
        }
        let topic = deadLetterTopic(for: record.topic)
        var headers = record.record.headers
        headers.append(Header(name: "sluice.dlq.topic", value: Array(record.topic.utf8)))
        headers.append(Header(name: "sluice.dlq.partition", value: Array(String(record.partition).utf8)))
        headers.append(Header(name: "sluice.dlq.offset", value: Array(String(record.offset).utf8)))
        headers.append(Header(name: "sluice.dlq.attempts", value: Array(String(maxAttempts).utf8)))
        headers.append(Header(name: "sluice.dlq.error", value: Array(lastError.utf8.prefix(4096))))
        let parked = ProducerRecord(
            key: record.record.key, value: record.record.value, headers: headers,
            timestamp: record.record.timestamp)
        let metadata = try await producer.send(parked, topic: topic)
        return .deadLettered(
            attempts: maxAttempts, topic: topic, partition: metadata.partition, offset: metadata.offset)
    }
}

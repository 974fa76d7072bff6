/// Where a produced record was stored.
public struct RecordMetadata: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The record's offset; -1 when produced with acks `.noResponse`.
    public var offset: Int64
    /// The record's timestamp: its own, or the broker's append time when it had none; -1 with acks `.noResponse`.
    public var timestamp: Int64

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

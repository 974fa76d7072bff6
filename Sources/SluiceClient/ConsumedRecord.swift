import SluiceCore

/// A record as a consumer returns it: where it came from and the stored record.
public struct ConsumedRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var record: Record

    public init(topic: String, partition: Int32, record: Record) {
        self.topic = topic
        self.partition = partition
        self.record = record
    }

    public var offset: Int64 { record.offset }
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

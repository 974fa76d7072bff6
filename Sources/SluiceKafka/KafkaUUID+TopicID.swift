import SluiceCore

extension KafkaUUID {
    /// A topic's id as Kafka's wire carries it.
    package init(_ id: TopicID) {
        self.init(bytes: id.bytes)
    }

    /// The same 16 bytes as a `TopicID` (zero for Kafka's "no id").
    package var topicID: TopicID { TopicID(bytes: bytes) ?? .zero }
}

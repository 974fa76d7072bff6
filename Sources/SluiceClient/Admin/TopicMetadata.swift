import SluiceCore

/// One topic as `SluiceClient.metadata(_:)` lists it: its partitions' offsets, or why it could not be described.
public struct TopicMetadata: Sendable, Hashable {
    public var name: String
    /// Why this topic could not be described (for example `.unknownTopic`); its partitions are then empty.
    public var error: SluiceError?
    public var partitions: [PartitionOffsets]

    public init(name: String, error: SluiceError? = nil, partitions: [PartitionOffsets]) {
        self.name = name
        self.error = error
        self.partitions = partitions
    }
}

import SluiceCore

/// A topic's settings and its partitions' offsets and sizes, as `SluiceClient.describeTopic(_:)` answers.
public struct TopicDescription: Sendable, Hashable {
    /// One partition's offsets and size.
    public struct Partition: Sendable, Hashable {
        public var partition: Int32
        /// The first offset still stored.
        public var logStartOffset: Int64
        /// The offset the next record will get (the high watermark).
        public var nextOffset: Int64
        /// Bytes of record data stored; `nil` when the server does not know.
        public var sizeBytes: Int64?

        public init(partition: Int32, logStartOffset: Int64, nextOffset: Int64, sizeBytes: Int64?) {
            self.partition = partition
            self.logStartOffset = logStartOffset
            self.nextOffset = nextOffset
            self.sizeBytes = sizeBytes
        }
    }

    public var name: String
    public var partitionCount: Int32
    /// Every setting with its current value, in `TopicConfigKey.allCases` order.
    public var configs: [ConfigEntry]
    public var partitions: [Partition]

    public init(name: String, partitionCount: Int32, configs: [ConfigEntry], partitions: [Partition]) {
        self.name = name
        self.partitionCount = partitionCount
        self.configs = configs
        self.partitions = partitions
    }

    /// The topic's settings; throws `.invalidArgument` if an entry does not parse.
    public func topicConfig() throws(SluiceError) -> TopicConfig {
        try TopicConfig(partitions: partitionCount, configEntries: configs)
    }
}

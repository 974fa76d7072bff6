import SluiceCore

/// One consumer group's members and, per partition it consumes or has committed offsets for, owner, committed
/// offset and lag, as `SluiceClient.describeGroup(_:)` answers.
public struct GroupDescription: Sendable, Hashable {
    /// Where a group stands.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// No live members (the group may still have committed offsets).
        case empty
        /// Every member owns exactly the partitions assigned to it.
        case stable
        /// Some partitions are still moving between members.
        case rebalancing
        /// The group is being removed.
        case dead
    }

    /// Partitions of one topic, by number.
    public struct TopicPartitions: Sendable, Hashable {
        public var name: String
        public var partitions: [Int32]

        public init(name: String, partitions: [Int32]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// A live member.
    public struct Member: Sendable, Hashable {
        public var memberID: String
        public var clientID: String
        /// The topics the member subscribed to.
        public var topics: [String]
        /// The partitions the member holds now.
        public var owned: [TopicPartitions]
        /// The partitions assigned to the member but still held by another one.
        public var pending: [TopicPartitions]

        public init(
            memberID: String, clientID: String, topics: [String], owned: [TopicPartitions],
            pending: [TopicPartitions]
        ) {
            self.memberID = memberID
            self.clientID = clientID
            self.topics = topics
            self.owned = owned
            self.pending = pending
        }
    }

    /// One partition's owner, committed offset and lag.
    public struct Partition: Sendable, Hashable {
        public var partition: Int32
        /// The member holding the partition; `nil` when none does.
        public var owner: String?
        /// The group's committed offset; `nil` when it has committed none.
        public var committedOffset: Int64?
        /// The partition's next offset (its high watermark).
        public var endOffset: Int64
        /// Records between the committed offset (or the log start, when none) and the end; `nil` when unknown.
        public var lag: Int64?

        public init(partition: Int32, owner: String?, committedOffset: Int64?, endOffset: Int64, lag: Int64?) {
            self.partition = partition
            self.owner = owner
            self.committedOffset = committedOffset
            self.endOffset = endOffset
            self.lag = lag
        }
    }

    /// The partitions of one topic.
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var group: String
    public var state: State
    /// Starts again at each change of the target assignment.
    public var generation: Int32
    public var members: [Member]
    public var topics: [Topic]

    public init(group: String, state: State, generation: Int32, members: [Member], topics: [Topic]) {
        self.group = group
        self.state = state
        self.generation = generation
        self.members = members
        self.topics = topics
    }
}

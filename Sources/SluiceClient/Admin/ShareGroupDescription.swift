import SluiceCore

/// A share group's members and, per partition of its topics, its share state, as
/// `SluiceClient.describeShareGroup(_:)` answers.
public struct ShareGroupDescription: Sendable, Hashable {
    /// A live member: it may read every partition of its topics.
    public struct Member: Sendable, Hashable {
        public var memberID: String
        public var clientID: String
        /// Grows with every change of the member's assignment.
        public var memberEpoch: Int32
        public var topics: [String]
        /// Records it holds under a lock now.
        public var acquiredRecords: Int32

        public init(memberID: String, clientID: String, memberEpoch: Int32, topics: [String], acquiredRecords: Int32) {
            self.memberID = memberID
            self.clientID = clientID
            self.memberEpoch = memberEpoch
            self.topics = topics
            self.acquiredRecords = acquiredRecords
        }
    }

    /// One partition's share state.
    public struct Partition: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        /// Every record below it is done (accepted, archived or deleted); `nil` before the group first read the
        /// partition.
        public var startOffset: Int64?
        /// The partition's next offset (its high watermark).
        public var endOffset: Int64
        /// Records from the start offset up to the next one to acquire that are not finished (acquired, released,
        /// waiting a delay): what `group.share.partition.max.record.locks` bounds.
        public var inFlight: Int32
        /// Records locked to a member now.
        public var acquired: Int32
        /// Records the next fetch could acquire: released or expired ones that are due, and those never delivered.
        public var available: Int64
        /// Records waiting for a delay (a release's, or their `sluice.deliver.after.ms` header) to pass.
        public var delayed: Int32
        /// Records copied to the group's dead-letter topic so far.
        public var deadLettered: Int64
        /// Records archived (rejected or over the delivery limit) so far, dead-lettered or not.
        public var archived: Int64

        public init(
            topic: String, partition: Int32, startOffset: Int64?, endOffset: Int64, inFlight: Int32, acquired: Int32,
            available: Int64, delayed: Int32, deadLettered: Int64, archived: Int64
        ) {
            self.topic = topic
            self.partition = partition
            self.startOffset = startOffset
            self.endOffset = endOffset
            self.inFlight = inFlight
            self.acquired = acquired
            self.available = available
            self.delayed = delayed
            self.deadLettered = deadLettered
            self.archived = archived
        }
    }

    public var group: String
    /// `.empty` (no members) or `.stable`.
    public var state: GroupDescription.State
    /// By member id.
    public var members: [Member]
    /// By topic, then partition.
    public var partitions: [Partition]
    /// Every share-group setting with its value (`nil`: none, for `errors.deadletterqueue.topic.name`).
    public var configs: [ConfigEntry]

    public init(
        group: String, state: GroupDescription.State, members: [Member], partitions: [Partition],
        configs: [ConfigEntry]
    ) {
        self.group = group
        self.state = state
        self.members = members
        self.partitions = partitions
        self.configs = configs
    }
}

import SluiceCore

/// What a member does with records it acquired from a share group (KIP-932's acknowledgement types, with Kafka's
/// numbering: 0 gap, 1 accept, 2 release, 3 reject, 4 renew).
package enum ShareAcknowledgeType: Int8, Sendable, Hashable, CaseIterable {
    /// Offsets with no record (compaction left a gap): nothing to do. Valid on offsets nobody holds.
    case gap = 0
    /// Done: the record is never delivered again.
    case accept = 1
    /// Give the record back for redelivery (optionally after a delay); its delivery count is kept.
    case release = 2
    /// Unprocessable: archived at once (and copied to the dead-letter topic when the group has one).
    case reject = 3
    /// Keep the lock: it runs for another `share.record.lock.duration.ms` from now.
    case renew = 4
}

/// One acknowledgement: a range of offsets of one partition, all acquired by the member, and what to do with them.
package struct ShareAcknowledgement: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    package var firstOffset: Int64
    /// Inclusive.
    package var lastOffset: Int64
    package var type: ShareAcknowledgeType
    /// For `.release`: do not deliver the records again before this many milliseconds have passed (beyond Kafka).
    package var releaseDelayMs: Int64?

    package init(
        topic: String, partition: Int32, firstOffset: Int64, lastOffset: Int64, type: ShareAcknowledgeType,
        releaseDelayMs: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.type = type
        self.releaseDelayMs = releaseDelayMs
    }

    package var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// A member's answer to a share-group heartbeat.
package struct ShareMemberAssignment: Sendable, Hashable {
    /// The member's id, chosen by the broker at its first heartbeat and never reused.
    package var memberID: String
    /// Raised whenever the member's assignment changes (1 at its first heartbeat).
    package var memberEpoch: Int32
    /// How often the member should heartbeat (the group's `share.heartbeat.interval.ms`).
    package var heartbeatIntervalMs: Int32
    /// Every partition of the subscribed topics that exist: every member of a share group may read every one.
    package var assignment: [TopicPartition]

    package init(memberID: String, memberEpoch: Int32, heartbeatIntervalMs: Int32, assignment: [TopicPartition]) {
        self.memberID = memberID
        self.memberEpoch = memberEpoch
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.assignment = assignment
    }
}

/// A share fetch: acknowledgements to apply first, then the partitions to acquire records from.
package struct ShareFetchRequest: Sendable {
    package var group: String
    package var memberID: String
    package var partitions: [TopicPartition]
    /// The most records acquired in all (the group's lock budget per partition may stop it sooner).
    package var maxRecords: Int
    /// Record bytes for the whole response (at least one record is always returned when one is available).
    package var maxBytes: Int
    /// How long to wait, when nothing can be acquired, for a record to become available; 0 answers at once.
    package var maxWaitMs: Int
    /// Applied before anything is acquired, in the same transaction; their outcome is each partition's
    /// `acknowledgeError`.
    package var acknowledgements: [ShareAcknowledgement]

    package init(
        group: String, memberID: String, partitions: [TopicPartition], maxRecords: Int = 500,
        maxBytes: Int = 16 << 20, maxWaitMs: Int = 0, acknowledgements: [ShareAcknowledgement] = []
    ) {
        self.group = group
        self.memberID = memberID
        self.partitions = partitions
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.maxWaitMs = maxWaitMs
        self.acknowledgements = acknowledgements
    }
}

/// A run of consecutive offsets acquired by one fetch, with their common delivery count (Kafka's AcquiredRecords).
package struct AcquiredRange: Sendable, Hashable {
    package var firstOffset: Int64
    /// Inclusive.
    package var lastOffset: Int64
    /// How many times the records were delivered, this delivery included (1 the first time).
    package var deliveryCount: Int16

    package init(firstOffset: Int64, lastOffset: Int64, deliveryCount: Int16) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.deliveryCount = deliveryCount
    }
}

/// What a share fetch (or a share acknowledge) did on one partition.
package struct ShareFetchedPartition: Sendable {
    package var topic: String
    package var partition: Int32
    /// Why nothing could be acquired from the partition (unknown topic or partition, ...); `nil` when it was read.
    package var error: SluiceError?
    /// The outcome of the partition's acknowledgements: `nil` when there were none or all were applied; otherwise
    /// none was applied.
    package var acknowledgeError: SluiceError?
    /// The records acquired, in offset order.
    package var records: [Record]
    /// The same records as runs of offsets with their delivery counts.
    package var acquired: [AcquiredRange]
    package var logStartOffset: Int64
    package var highWatermark: Int64

    package init(
        topic: String, partition: Int32, error: SluiceError? = nil, acknowledgeError: SluiceError? = nil,
        records: [Record] = [], acquired: [AcquiredRange] = [], logStartOffset: Int64 = -1,
        highWatermark: Int64 = -1
    ) {
        self.topic = topic
        self.partition = partition
        self.error = error
        self.acknowledgeError = acknowledgeError
        self.records = records
        self.acquired = acquired
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
    }

    package var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    /// The delivery count of the acquired record at `offset`, `nil` when it was not acquired by this fetch.
    package func deliveryCount(of offset: Int64) -> Int16? {
        acquired.first { $0.firstOffset <= offset && offset <= $0.lastOffset }?.deliveryCount
    }
}

/// A share fetch's answer: per partition named (in the fetch or its acknowledgements), in the order named.
package struct ShareFetchResponse: Sendable {
    package var partitions: [ShareFetchedPartition]
    /// How long the locks of this fetch's acquisitions last (the group's `share.record.lock.duration.ms`).
    package var lockDurationMs: Int64

    package init(partitions: [ShareFetchedPartition], lockDurationMs: Int64 = 30_000) {
        self.partitions = partitions
        self.lockDurationMs = lockDurationMs
    }

    package var recordCount: Int { partitions.reduce(0) { $0 + $1.records.count } }
}

/// The outcome of one partition's acknowledgements in a `shareAcknowledge`.
package struct ShareAcknowledgeResult: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    /// `nil`: all of the partition's acknowledgements were applied, durably; otherwise none was.
    package var error: SluiceError?

    package init(topic: String, partition: Int32, error: SluiceError? = nil) {
        self.topic = topic
        self.partition = partition
        self.error = error
    }
}

/// What kind of group a group id names.
package enum GroupType: String, Sendable, Hashable {
    /// A native consumer group (the broker assigns partitions).
    case consumer
    /// A Kafka classic consumer group (the group's leader assigns).
    case classic
    /// A share group: members share partitions, records are acknowledged one by one.
    case share
}

/// One row of `Broker.listGroupsWithType()`.
package struct GroupListing: Sendable, Hashable {
    package var group: String
    package var type: GroupType
    package var state: GroupMembers.State
    package var members: Int

    package init(group: String, type: GroupType, state: GroupMembers.State, members: Int) {
        self.group = group
        self.type = type
        self.state = state
        self.members = members
    }
}

/// A share group as `describeShareGroup` reports it.
package struct ShareGroupDescription: Sendable {
    package struct Member: Sendable, Hashable {
        package var memberID: String
        package var clientID: String
        package var memberEpoch: Int32
        package var topics: [String]
        /// Records this member holds under a lock now.
        package var acquiredRecords: Int
    }

    package struct Partition: Sendable, Hashable {
        package var topic: String
        package var partition: Int32
        /// The share-partition start offset: every record below it is done (accepted, archived or deleted).
        /// -1 when the group has not read the partition yet.
        package var startOffset: Int64
        /// The partition's end offset (its high watermark).
        package var endOffset: Int64
        /// Records at or past `startOffset` the group has delivered or looked at and not finished yet (acquired,
        /// available again, archiving), up to the next record it would acquire: the span the lock budget bounds.
        package var inFlight: Int
        /// Records under a member's lock now.
        package var acquired: Int
        /// Records the next fetch could acquire: released or expired ones that are due, and those not yet
        /// delivered (up to the end offset).
        package var available: Int
        /// Records waiting for a delay (a release's, or their `sluice.deliver.after.ms` header) to pass.
        package var delayed: Int
        /// Records copied to the dead-letter topic since the group first read the partition.
        package var deadLettered: Int64
        /// Records archived (rejected or over the delivery limit) since the group first read the partition,
        /// dead-lettered or not.
        package var archived: Int64
    }

    package var group: String
    package var state: GroupMembers.State
    package var members: [Member]
    package var partitions: [Partition]
    /// The group's settings, every key with its value (defaults included).
    package var config: [ConfigEntry]
}

/// A share group's start offset on one partition, as `resetShareGroupOffsets` set it.
package struct ShareStartOffset: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    package var startOffset: Int64

    package init(topic: String, partition: Int32, startOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.startOffset = startOffset
    }
}

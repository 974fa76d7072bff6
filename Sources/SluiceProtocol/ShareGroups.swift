import NIOCore
import SluiceCore

// Share groups (API keys 30 to 35): queues on the log. Every member of a share group may read every partition of
// its topics; the server hands each record to one member at a time, under a lock, and the member acknowledges it.
// See "Share groups" in docs/PROTOCOL.md for how the APIs fit together.

/// What a member does with records it acquired. On the wire: `int8`, Kafka's numbers (0 to 4); any other value is
/// malformed.
package enum AcknowledgeKind: Int8, Sendable, Hashable, CaseIterable {
    /// Offsets that hold no record (compaction removed them, or the fetch skipped them): nothing to do.
    case gap = 0
    /// Done: the record is never delivered to the group again.
    case accept = 1
    /// Given back: delivered again (to any member), at once or after `delayMs`.
    case release = 2
    /// Unprocessable: archived at once (and copied to the group's dead-letter topic when it has one).
    case reject = 3
    /// Still working on it: the lock is extended by the group's lock duration from now.
    case renew = 4

    package var name: String {
        switch self {
        case .gap: "gap"
        case .accept: "accept"
        case .release: "release"
        case .reject: "reject"
        case .renew: "renew"
        }
    }
}

/// One run of acknowledged offsets of one partition.
///
/// On the wire: `int64 firstOffset, int64 lastOffset, int8 kind, int32 delayMs`.
package struct AcknowledgementBatch: Sendable, Equatable {
    package var firstOffset: Int64
    /// Inclusive.
    package var lastOffset: Int64
    package var kind: AcknowledgeKind
    /// For `.release` only: how long the records wait before they may be delivered again; 0 for the others.
    package var delayMs: Int32

    package init(firstOffset: Int64, lastOffset: Int64, kind: AcknowledgeKind, delayMs: Int32 = 0) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.kind = kind
        self.delayMs = delayMs
    }
}

/// A partition's acknowledgements, in the order they are applied.
///
/// On the wire: `int32 partition, array<acknowledgementBatch> batches`.
package struct PartitionAcknowledgements: Sendable, Equatable {
    package var partition: Int32
    package var batches: [AcknowledgementBatch]

    package init(partition: Int32, batches: [AcknowledgementBatch]) {
        self.partition = partition
        self.batches = batches
    }
}

/// How one partition's acknowledgements went: applied all (no error), or none.
///
/// On the wire: `int32 partition, int16 errorCode, nullable string errorMessage`.
package struct AcknowledgementResult: Sendable, Equatable {
    package var partition: Int32
    package var error: SluiceError?

    package init(partition: Int32, error: SluiceError? = nil) {
        self.partition = partition
        self.error = error
    }
}

/// Joins a share group, keeps a member alive, changes its topics, or leaves (API key 30).
///
/// On the wire: `string group, string memberId ("" = a new member), int32 memberEpoch (0 = join, -1 = leave),
/// string clientId, nullable array<string> topics (null = unchanged)`.
package struct ShareGroupHeartbeatRequest: Sendable, Equatable {
    /// The epoch that joins.
    package static let joinEpoch: Int32 = 0
    /// The epoch that leaves: the member's records are released at once.
    package static let leaveEpoch: Int32 = -1

    package var group: String
    /// The id the server gave this member; empty to join.
    package var memberID: String
    /// 0 to join, -1 to leave, otherwise the epoch of the last answer.
    package var memberEpoch: Int32
    /// Free text naming the client; new member ids are made from it.
    package var clientID: String
    /// The topics to read, replacing the member's subscription; `nil` leaves it as it is.
    package var topics: [String]?

    package init(group: String, memberID: String = "", memberEpoch: Int32 = 0, clientID: String, topics: [String]?) {
        self.group = group
        self.memberID = memberID
        self.memberEpoch = memberEpoch
        self.clientID = clientID
        self.topics = topics
    }

    /// Whether this heartbeat leaves the group.
    package var leave: Bool { memberEpoch == Self.leaveEpoch }
}

/// A share-group member's standing.
///
/// On the wire: `string memberId, int32 memberEpoch, int32 heartbeatIntervalMs,
/// array<(string topic, array<int32 partition>)> assignment`.
package struct ShareGroupHeartbeatResponse: Sendable, Equatable {
    package var memberID: String
    /// Grows with every change of the member's assignment; -1 after a leave.
    package var memberEpoch: Int32
    package var heartbeatIntervalMs: Int32
    /// The partitions the member may fetch from: every partition of its topics.
    package var assignment: [TopicPartitions<Int32>]

    package init(memberID: String, memberEpoch: Int32, heartbeatIntervalMs: Int32, assignment: [TopicPartitions<Int32>])
    {
        self.memberID = memberID
        self.memberEpoch = memberEpoch
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.assignment = assignment
    }
}

/// Acknowledges records, then acquires records for the member, waiting for them if asked to (API key 31).
///
/// On the wire: `string group, string memberId, int32 maxWaitMs, int32 maxRecords, int32 maxBytes,
/// array<(string topic, array<int32 partition>)> topics, array<(string topic, array<partitionAcknowledgements>)>
/// acknowledgements`.
package struct ShareFetchRequest: Sendable, Equatable {
    package var group: String
    package var memberID: String
    /// The longest wait for a first record; 0 answers at once.
    package var maxWaitMs: Int32
    /// The most records to acquire across all partitions.
    package var maxRecords: Int32
    /// The most record bytes in the answer (its first record excepted).
    package var maxBytes: Int32
    /// The partitions to acquire records from; may be empty (acknowledging only).
    package var topics: [TopicPartitions<Int32>]
    /// Applied before anything is acquired.
    package var acknowledgements: [TopicPartitions<PartitionAcknowledgements>]

    package init(
        group: String, memberID: String, maxWaitMs: Int32, maxRecords: Int32, maxBytes: Int32,
        topics: [TopicPartitions<Int32>], acknowledgements: [TopicPartitions<PartitionAcknowledgements>] = []
    ) {
        self.group = group
        self.memberID = memberID
        self.maxWaitMs = maxWaitMs
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.topics = topics
        self.acknowledgements = acknowledgements
    }
}

/// A run of acquired offsets and the delivery count they share.
///
/// On the wire: `int64 firstOffset, int64 lastOffset, int16 deliveryCount`.
package struct AcquiredRecords: Sendable, Equatable {
    package var firstOffset: Int64
    /// Inclusive.
    package var lastOffset: Int64
    /// 1 on a record's first delivery.
    package var deliveryCount: Int16

    package init(firstOffset: Int64, lastOffset: Int64, deliveryCount: Int16) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.deliveryCount = deliveryCount
    }
}

/// The records acquired for the member, and how its acknowledgements went.
///
/// On the wire: `array<(string topic, array<(int32 partition, int16 errorCode, nullable string errorMessage,
/// array<storedRecord> records, array<acquiredRange> acquired)>)> topics,
/// array<(string topic, array<acknowledgementResult>)> acknowledgements`.
package struct ShareFetchResponse: Sendable, Equatable {
    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        package var error: SluiceError?
        /// The acquired records, by offset.
        package var records: [Record]
        /// Every record of `records` is in exactly one range.
        package var acquired: [AcquiredRecords]

        package init(partition: Int32, error: SluiceError? = nil, records: [Record], acquired: [AcquiredRecords]) {
            self.partition = partition
            self.error = error
            self.records = records
            self.acquired = acquired
        }

        /// The delivery count of the record at `offset`, or nil when it was not acquired.
        package func deliveryCount(of offset: Int64) -> Int16? {
            acquired.first { $0.firstOffset <= offset && offset <= $0.lastOffset }?.deliveryCount
        }
    }

    package var topics: [TopicPartitions<Partition>]
    /// One entry per partition of the request's acknowledgements, in its order.
    package var acknowledgements: [TopicPartitions<AcknowledgementResult>]

    package init(topics: [TopicPartitions<Partition>], acknowledgements: [TopicPartitions<AcknowledgementResult>] = [])
    {
        self.topics = topics
        self.acknowledgements = acknowledgements
    }
}

/// Acknowledges records without acquiring more (API key 32). Answered once the acknowledgements are durable.
///
/// On the wire: `string group, string memberId, array<(string topic, array<partitionAcknowledgements>)>
/// acknowledgements`.
package struct ShareAcknowledgeRequest: Sendable, Equatable {
    package var group: String
    package var memberID: String
    package var acknowledgements: [TopicPartitions<PartitionAcknowledgements>]

    package init(group: String, memberID: String, acknowledgements: [TopicPartitions<PartitionAcknowledgements>]) {
        self.group = group
        self.memberID = memberID
        self.acknowledgements = acknowledgements
    }
}

/// One result per partition of the request, in its order.
///
/// On the wire: `array<(string topic, array<acknowledgementResult>)> topics`.
package struct ShareAcknowledgeResponse: Sendable, Equatable {
    package var topics: [TopicPartitions<AcknowledgementResult>]

    package init(topics: [TopicPartitions<AcknowledgementResult>]) {
        self.topics = topics
    }
}

/// Asks for a share group's members, per-partition state and settings (API key 33).
///
/// On the wire: `string group`.
package struct DescribeShareGroupRequest: Sendable, Equatable {
    package var group: String

    package init(group: String) {
        self.group = group
    }
}

/// A share group's members, each partition's share state, and the group's settings.
///
/// On the wire: `string group, string state, array<(string memberId, string clientId, int32 memberEpoch,
/// array<string> topics, int32 acquiredRecords)> members, array<(string topic, array<(int32 partition,
/// int64 startOffset, int64 endOffset, int32 inFlight, int32 acquired, int64 available, int32 delayed,
/// int64 deadLettered, int64 archived)>)> topics, array<configEntry> configs`.
package struct DescribeShareGroupResponse: Sendable, Equatable {
    package struct Member: Sendable, Equatable {
        package var memberID: String
        package var clientID: String
        package var memberEpoch: Int32
        /// The topics it reads (every partition of each).
        package var topics: [String]
        /// Records it holds under a lock now.
        package var acquiredRecords: Int32

        package init(memberID: String, clientID: String, memberEpoch: Int32, topics: [String], acquiredRecords: Int32) {
            self.memberID = memberID
            self.clientID = clientID
            self.memberEpoch = memberEpoch
            self.topics = topics
            self.acquiredRecords = acquiredRecords
        }
    }

    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// Every record below it is done (accepted, archived or deleted); -1 before the group first read the
        /// partition.
        package var startOffset: Int64
        /// The partition's next offset (its high watermark).
        package var endOffset: Int64
        /// Records from `startOffset` up to the next record to acquire that are not finished: the span the lock
        /// budget (`group.share.partition.max.record.locks`) bounds.
        package var inFlight: Int32
        /// Records locked to a member now.
        package var acquired: Int32
        /// Records the next fetch could acquire: released or expired ones that are due, and those never delivered.
        package var available: Int64
        /// Records waiting for a delay (a release's, or their `sluice.deliver.after.ms` header) to pass.
        package var delayed: Int32
        /// Records copied to the dead-letter topic so far.
        package var deadLettered: Int64
        /// Records archived (rejected or over the delivery limit) so far, dead-lettered or not.
        package var archived: Int64

        package init(
            partition: Int32, startOffset: Int64, endOffset: Int64, inFlight: Int32, acquired: Int32,
            available: Int64, delayed: Int32, deadLettered: Int64, archived: Int64
        ) {
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

    package var group: String
    /// `empty` (no members) or `stable`.
    package var state: GroupState
    package var members: [Member]
    package var topics: [TopicPartitions<Partition>]
    /// Every share-group setting with its value.
    package var configs: [ConfigEntry]

    package init(
        group: String, state: GroupState, members: [Member], topics: [TopicPartitions<Partition>],
        configs: [ConfigEntry]
    ) {
        self.group = group
        self.state = state
        self.members = members
        self.topics = topics
        self.configs = configs
    }
}

/// Changes a group's settings (API key 34); a group that does not exist yet gets them when it is made.
///
/// On the wire: `string group, array<configEntry> configs` (a null value: back to the default).
package struct AlterGroupConfigRequest: Sendable, Equatable {
    package var group: String
    package var configs: [ConfigEntry]

    package init(group: String, configs: [ConfigEntry]) {
        self.group = group
        self.configs = configs
    }
}

/// The settings were changed. Empty payload.
package struct AlterGroupConfigResponse: Sendable, Equatable {
    package init() {}
}

/// Asks for a group's settings (API key 35).
///
/// On the wire: `string group`.
package struct DescribeGroupConfigRequest: Sendable, Equatable {
    package var group: String

    package init(group: String) {
        self.group = group
    }
}

/// Every group setting with its value, set or default.
///
/// On the wire: `array<configEntry> configs`.
package struct DescribeGroupConfigResponse: Sendable, Equatable {
    package var configs: [ConfigEntry]

    package init(configs: [ConfigEntry]) {
        self.configs = configs
    }
}

// MARK: - Wire forms

extension AcknowledgeKind {
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> AcknowledgeKind {
        let raw = try buffer.readInt8()
        guard let kind = AcknowledgeKind(rawValue: raw) else {
            throw .malformed("acknowledgement type must be 0 (gap) to 4 (renew), not \(raw)")
        }
        return kind
    }
}

extension AcknowledgementBatch: WireCodable {
    static var minWireSize: Int { 21 }
    var wireSize: Int { 21 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> AcknowledgementBatch {
        AcknowledgementBatch(
            firstOffset: try buffer.readInt64(), lastOffset: try buffer.readInt64(), kind: try .read(from: &buffer),
            delayMs: try buffer.readInt32())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(firstOffset)
        buffer.writeInt64(lastOffset)
        buffer.writeInt8(kind.rawValue)
        buffer.writeInt32(delayMs)
    }
}

extension PartitionAcknowledgements: WireCodable {
    static var minWireSize: Int { 8 }
    var wireSize: Int { 4 + WireSize.array(batches) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> PartitionAcknowledgements {
        PartitionAcknowledgements(partition: try buffer.readInt32(), batches: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeArray(batches)
    }
}

extension AcknowledgementResult: WireCodable {
    static var minWireSize: Int { 8 }
    var wireSize: Int { 4 + WireSize.error(error) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> AcknowledgementResult {
        AcknowledgementResult(partition: try buffer.readInt32(), error: try buffer.readError())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeError(error)
    }
}

extension ShareGroupHeartbeatRequest: WireCodable {
    var wireSize: Int {
        WireSize.string(group) + WireSize.string(memberID) + 4 + WireSize.string(clientID)
            + WireSize.nullableArray(topics)
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareGroupHeartbeatRequest {
        ShareGroupHeartbeatRequest(
            group: try buffer.readWireString(), memberID: try buffer.readWireString(),
            memberEpoch: try buffer.readInt32(), clientID: try buffer.readWireString(),
            topics: try buffer.readNullableArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(memberID)
        buffer.writeInt32(memberEpoch)
        buffer.writeWireString(clientID)
        buffer.writeNullableArray(topics)
    }
}

extension ShareGroupHeartbeatResponse: WireCodable {
    var wireSize: Int { WireSize.string(memberID) + 8 + WireSize.array(assignment) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareGroupHeartbeatResponse {
        ShareGroupHeartbeatResponse(
            memberID: try buffer.readWireString(), memberEpoch: try buffer.readInt32(),
            heartbeatIntervalMs: try buffer.readInt32(), assignment: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(memberID)
        buffer.writeInt32(memberEpoch)
        buffer.writeInt32(heartbeatIntervalMs)
        buffer.writeArray(assignment)
    }
}

extension ShareFetchRequest: WireCodable {
    var wireSize: Int {
        WireSize.string(group) + WireSize.string(memberID) + 12 + WireSize.array(topics)
            + WireSize.array(acknowledgements)
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareFetchRequest {
        ShareFetchRequest(
            group: try buffer.readWireString(), memberID: try buffer.readWireString(),
            maxWaitMs: try buffer.readInt32(), maxRecords: try buffer.readInt32(), maxBytes: try buffer.readInt32(),
            topics: try buffer.readArray(), acknowledgements: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(memberID)
        buffer.writeInt32(maxWaitMs)
        buffer.writeInt32(maxRecords)
        buffer.writeInt32(maxBytes)
        buffer.writeArray(topics)
        buffer.writeArray(acknowledgements)
    }
}

extension AcquiredRecords: WireCodable {
    static var minWireSize: Int { 18 }
    var wireSize: Int { 18 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> AcquiredRecords {
        AcquiredRecords(
            firstOffset: try buffer.readInt64(), lastOffset: try buffer.readInt64(),
            deliveryCount: try buffer.readInt16())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt64(firstOffset)
        buffer.writeInt64(lastOffset)
        buffer.writeInt16(deliveryCount)
    }
}

extension ShareFetchResponse.Partition: WireCodable {
    static var minWireSize: Int { 16 }
    var wireSize: Int { 4 + WireSize.error(error) + WireSize.array(records) + WireSize.array(acquired) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareFetchResponse.Partition {
        .init(
            partition: try buffer.readInt32(), error: try buffer.readError(), records: try buffer.readArray(),
            acquired: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeError(error)
        buffer.writeArray(records)
        buffer.writeArray(acquired)
    }
}

extension ShareFetchResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) + WireSize.array(acknowledgements) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareFetchResponse {
        ShareFetchResponse(topics: try buffer.readArray(), acknowledgements: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
        buffer.writeArray(acknowledgements)
    }
}

extension ShareAcknowledgeRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) + WireSize.string(memberID) + WireSize.array(acknowledgements) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareAcknowledgeRequest {
        ShareAcknowledgeRequest(
            group: try buffer.readWireString(), memberID: try buffer.readWireString(),
            acknowledgements: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(memberID)
        buffer.writeArray(acknowledgements)
    }
}

extension ShareAcknowledgeResponse: WireCodable {
    var wireSize: Int { WireSize.array(topics) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ShareAcknowledgeResponse {
        ShareAcknowledgeResponse(topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(topics)
    }
}

extension DescribeShareGroupRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeShareGroupRequest {
        DescribeShareGroupRequest(group: try buffer.readWireString())
    }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(group) }
}

extension DescribeShareGroupResponse.Member: WireCodable {
    static var minWireSize: Int { 16 }
    var wireSize: Int { WireSize.string(memberID) + WireSize.string(clientID) + 4 + WireSize.array(topics) + 4 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeShareGroupResponse.Member {
        .init(
            memberID: try buffer.readWireString(), clientID: try buffer.readWireString(),
            memberEpoch: try buffer.readInt32(), topics: try buffer.readArray(), acquiredRecords: try buffer.readInt32()
        )
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(memberID)
        buffer.writeWireString(clientID)
        buffer.writeInt32(memberEpoch)
        buffer.writeArray(topics)
        buffer.writeInt32(acquiredRecords)
    }
}

extension DescribeShareGroupResponse.Partition: WireCodable {
    static var minWireSize: Int { 56 }
    var wireSize: Int { 56 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeShareGroupResponse.Partition {
        .init(
            partition: try buffer.readInt32(), startOffset: try buffer.readInt64(), endOffset: try buffer.readInt64(),
            inFlight: try buffer.readInt32(), acquired: try buffer.readInt32(), available: try buffer.readInt64(),
            delayed: try buffer.readInt32(), deadLettered: try buffer.readInt64(), archived: try buffer.readInt64())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeInt64(startOffset)
        buffer.writeInt64(endOffset)
        buffer.writeInt32(inFlight)
        buffer.writeInt32(acquired)
        buffer.writeInt64(available)
        buffer.writeInt32(delayed)
        buffer.writeInt64(deadLettered)
        buffer.writeInt64(archived)
    }
}

extension DescribeShareGroupResponse: WireCodable {
    var wireSize: Int {
        WireSize.string(group) + state.wireSize + WireSize.array(members) + WireSize.array(topics)
            + WireSize.array(configs)
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeShareGroupResponse {
        DescribeShareGroupResponse(
            group: try buffer.readWireString(), state: try .read(from: &buffer), members: try buffer.readArray(),
            topics: try buffer.readArray(), configs: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        state.write(to: &buffer)
        buffer.writeArray(members)
        buffer.writeArray(topics)
        buffer.writeArray(configs)
    }
}

extension AlterGroupConfigRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) + WireSize.array(configs) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> AlterGroupConfigRequest {
        AlterGroupConfigRequest(group: try buffer.readWireString(), configs: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeArray(configs)
    }
}

extension AlterGroupConfigResponse: EmptyPayload {}

extension DescribeGroupConfigRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeGroupConfigRequest {
        DescribeGroupConfigRequest(group: try buffer.readWireString())
    }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(group) }
}

extension DescribeGroupConfigResponse: WireCodable {
    var wireSize: Int { WireSize.array(configs) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeGroupConfigResponse {
        DescribeGroupConfigResponse(configs: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeArray(configs)
    }
}

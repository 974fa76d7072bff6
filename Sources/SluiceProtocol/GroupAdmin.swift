import NIOCore
import SluiceCore

// Describing, listing and deleting consumer groups (API keys 14 to 16).

/// Where a consumer group stands. On the wire: a `string`, one of `empty`, `stable`, `rebalancing`, `dead`;
/// any other value is malformed.
package enum GroupState: String, Sendable, Hashable, CaseIterable {
    /// No live members (the group may still have committed offsets).
    case empty
    /// Every member owns exactly the partitions assigned to it.
    case stable
    /// Some partitions are still moving between members.
    case rebalancing
    /// The group is being removed.
    case dead
}

/// Asks for one group's members, partition owners, committed offsets and lag (API key 14).
///
/// On the wire: `string group`.
package struct DescribeGroupRequest: Sendable, Equatable {
    package var group: String

    package init(group: String) {
        self.group = group
    }
}

/// One group's members and, per partition of the topics it consumes or has committed offsets for, owner, committed
/// offset and lag.
///
/// On the wire: `string group, string state, int32 generation, array<member> members,
/// array<(string topic, array<(int32 partition, nullable string owner, int64 committedOffset, int64 endOffset,
/// int64 lag)>)> topics`, where member is `string memberId, string clientId, array<string> topics,
/// array<(string topic, array<int32 partition>)> owned, array<(string topic, array<int32 partition>)> pending`.
package struct DescribeGroupResponse: Sendable, Equatable {
    package struct Member: Sendable, Equatable {
        package var memberID: String
        package var clientID: String
        /// The topics the member subscribed to.
        package var topics: [String]
        /// The partitions the member holds now.
        package var owned: [TopicPartitions<Int32>]
        /// The partitions assigned to the member but still held by another one.
        package var pending: [TopicPartitions<Int32>]

        package init(
            memberID: String, clientID: String, topics: [String], owned: [TopicPartitions<Int32>],
            pending: [TopicPartitions<Int32>]
        ) {
            self.memberID = memberID
            self.clientID = clientID
            self.topics = topics
            self.owned = owned
            self.pending = pending
        }
    }

    package struct Partition: Sendable, Equatable {
        package var partition: Int32
        /// The member holding the partition; `nil` when none does.
        package var owner: String?
        /// The group's committed offset; `nil` (-1 on the wire) when it has committed none.
        package var committedOffset: Int64?
        /// The partition's next offset (its high watermark).
        package var endOffset: Int64
        /// Records between the committed offset (or the log start, when none) and the end; `nil` (-1 on the wire)
        /// when unknown.
        package var lag: Int64?

        package init(partition: Int32, owner: String?, committedOffset: Int64?, endOffset: Int64, lag: Int64?) {
            self.partition = partition
            self.owner = owner
            self.committedOffset = committedOffset
            self.endOffset = endOffset
            self.lag = lag
        }
    }

    package typealias Topic = TopicPartitions<Partition>

    package var group: String
    package var state: GroupState
    package var generation: Int32
    package var members: [Member]
    package var topics: [Topic]

    package init(group: String, state: GroupState, generation: Int32, members: [Member], topics: [Topic]) {
        self.group = group
        self.state = state
        self.generation = generation
        self.members = members
        self.topics = topics
    }
}

/// Asks for every group the server knows (API key 15). Empty payload; version 1 asks for each group's type too.
package struct ListGroupsRequest: Sendable, Equatable {
    /// Whether the answer gives each group's type (version 1).
    package var withTypes: Bool

    package init(withTypes: Bool = false) {
        self.withTypes = withTypes
    }

    /// The version this request is encoded at: 1 when it asks for types, else 0.
    var wireVersion: Int16 { withTypes ? 1 : 0 }
}

/// Every group with live members or committed offsets.
///
/// On the wire: `array<(string group, string state, int32 memberCount)> groups`; at version 1 each group also has
/// `string type` after `memberCount`.
package struct ListGroupsResponse: Sendable, Equatable {
    package struct Group: Sendable, Equatable {
        package var name: String
        package var state: GroupState
        /// Live members.
        package var memberCount: Int32
        /// `consumer` (native members), `classic` (Kafka's classic protocol) or `share`; on the wire at version 1
        /// only (version 0 decodes as `consumer`).
        package var type: String

        package init(name: String, state: GroupState, memberCount: Int32, type: String = "consumer") {
            self.name = name
            self.state = state
            self.memberCount = memberCount
            self.type = type
        }
    }

    package var groups: [Group]
    /// Whether `type` is on the wire (version 1).
    package var withTypes: Bool

    package init(groups: [Group], withTypes: Bool = false) {
        self.groups = groups
        self.withTypes = withTypes
    }
}

/// Forgets a group and its committed offsets (API key 16). Refused with `.groupNotEmpty` while it has live members.
///
/// On the wire: `string group`.
package struct DeleteGroupRequest: Sendable, Equatable {
    package var group: String

    package init(group: String) {
        self.group = group
    }
}

/// The group was deleted. Empty payload.
package struct DeleteGroupResponse: Sendable, Equatable {
    package init() {}
}

// MARK: - Wire forms

extension GroupState: WireCodable {
    static var minWireSize: Int { 6 }
    var wireSize: Int { WireSize.string(rawValue) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> GroupState {
        let raw = try buffer.readWireString()
        guard let state = GroupState(rawValue: raw) else {
            throw .malformed("group state must be empty, stable, rebalancing or dead, not '\(raw)'")
        }
        return state
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(rawValue)
    }
}

extension DescribeGroupRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeGroupRequest {
        DescribeGroupRequest(group: try buffer.readWireString())
    }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(group) }
}

extension DescribeGroupResponse.Member: WireCodable {
    static var minWireSize: Int { 16 }
    var wireSize: Int {
        WireSize.string(memberID) + WireSize.string(clientID) + WireSize.array(topics) + WireSize.array(owned)
            + WireSize.array(pending)
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeGroupResponse.Member {
        .init(
            memberID: try buffer.readWireString(), clientID: try buffer.readWireString(),
            topics: try buffer.readArray(), owned: try buffer.readArray(), pending: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(memberID)
        buffer.writeWireString(clientID)
        buffer.writeArray(topics)
        buffer.writeArray(owned)
        buffer.writeArray(pending)
    }
}

extension DescribeGroupResponse.Partition: WireCodable {
    static var minWireSize: Int { 30 }
    var wireSize: Int { 4 + WireSize.nullableString(owner) + 24 }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeGroupResponse.Partition {
        let partition = try buffer.readInt32()
        let owner = try buffer.readNullableString()
        let committedOffset = try buffer.readInt64()
        let endOffset = try buffer.readInt64()
        let lag = try buffer.readInt64()
        return .init(
            partition: partition, owner: owner, committedOffset: committedOffset == -1 ? nil : committedOffset,
            endOffset: endOffset, lag: lag == -1 ? nil : lag)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(partition)
        buffer.writeNullableString(owner)
        buffer.writeInt64(committedOffset ?? -1)
        buffer.writeInt64(endOffset)
        buffer.writeInt64(lag ?? -1)
    }
}

extension DescribeGroupResponse: WireCodable {
    var wireSize: Int {
        WireSize.string(group) + state.wireSize + 4 + WireSize.array(members) + WireSize.array(topics)
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DescribeGroupResponse {
        DescribeGroupResponse(
            group: try buffer.readWireString(), state: try .read(from: &buffer), generation: try buffer.readInt32(),
            members: try buffer.readArray(), topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        state.write(to: &buffer)
        buffer.writeInt32(generation)
        buffer.writeArray(members)
        buffer.writeArray(topics)
    }
}

extension ListGroupsRequest {
    var wireSize: Int { 0 }

    static func read(from buffer: inout ByteBuffer, version: Int16) throws(SluiceError) -> ListGroupsRequest {
        ListGroupsRequest(withTypes: version >= 1)
    }

    func write(to buffer: inout ByteBuffer) {}
}

extension ListGroupsResponse.Group {
    func wireSize(withType: Bool) -> Int {
        WireSize.string(name) + state.wireSize + 4 + (withType ? WireSize.string(type) : 0)
    }

    static func read(from buffer: inout ByteBuffer, withType: Bool) throws(SluiceError) -> ListGroupsResponse.Group {
        var group = ListGroupsResponse.Group(
            name: try buffer.readWireString(), state: try .read(from: &buffer), memberCount: try buffer.readInt32())
        if withType { group.type = try buffer.readWireString() }
        return group
    }

    func write(to buffer: inout ByteBuffer, withType: Bool) {
        buffer.writeWireString(name)
        state.write(to: &buffer)
        buffer.writeInt32(memberCount)
        if withType { buffer.writeWireString(type) }
    }
}

extension ListGroupsResponse {
    var wireSize: Int { groups.reduce(4) { $0 + $1.wireSize(withType: withTypes) } }

    static func read(from buffer: inout ByteBuffer, version: Int16) throws(SluiceError) -> ListGroupsResponse {
        let withTypes = version >= 1
        let count = try buffer.readCount(minElementSize: withTypes ? 14 : 12)
        var groups: [Group] = []
        groups.reserveCapacity(count)
        for _ in 0..<count { groups.append(try Group.read(from: &buffer, withType: withTypes)) }
        return ListGroupsResponse(groups: groups, withTypes: withTypes)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInt32(Int32(groups.count))
        for group in groups { group.write(to: &buffer, withType: withTypes) }
    }
}

extension DeleteGroupRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> DeleteGroupRequest {
        DeleteGroupRequest(group: try buffer.readWireString())
    }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(group) }
}

extension DeleteGroupResponse: EmptyPayload {}

import NIOCore
import SluiceCore

// Joining, heartbeating in and leaving a consumer group (API keys 11 to 13). See "Consumer groups" in
// docs/PROTOCOL.md for how they fit together.

/// Joins a consumer group as a new member, or rejoins under a known member id (API key 11).
///
/// On the wire: `string group, string memberId ("" = new member), string clientId, int32 sessionTimeoutMs,
/// array<string> topics`. Answered with a `MemberAssignment`.
package struct JoinGroupRequest: Sendable, Equatable {
    package var group: String
    /// The id the server gave this member earlier; empty for a new member.
    package var memberID: String
    /// Free text naming the client; the server builds new member ids from it.
    package var clientID: String
    /// How long the server keeps the member without hearing from it; 0 or less asks for the server's default.
    package var sessionTimeoutMs: Int32
    /// The topics the member consumes.
    package var topics: [String]

    package init(group: String, memberID: String = "", clientID: String, sessionTimeoutMs: Int32, topics: [String]) {
        self.group = group
        self.memberID = memberID
        self.clientID = clientID
        self.sessionTimeoutMs = sessionTimeoutMs
        self.topics = topics
    }
}

/// A member's sign of life, reporting the partitions it still holds (API key 12).
///
/// On the wire, version 0: `string group, string memberId, int32 generation,
/// array<(string topic, array<int32 partition>)> owned`; version 1 adds `int32 maxWaitMs`, how long the server may
/// hold the answer until the member's assignment changes (a long poll). Answered with a `MemberAssignment`.
package struct HeartbeatRequest: Sendable, Equatable {
    package typealias Topic = TopicPartitions<Int32>

    package var group: String
    package var memberID: String
    /// The generation of the member's last join or heartbeat answer.
    package var generation: Int32
    /// The partitions the member still holds. Owned partitions it leaves out are released to their new owners.
    package var owned: [Topic]
    /// How long the server may hold the answer while it would tell the member nothing new (version 1); `nil`
    /// (version 0) or 0 or less: answered at once.
    package var maxWaitMs: Int32?

    package init(group: String, memberID: String, generation: Int32, owned: [Topic], maxWaitMs: Int32? = nil) {
        self.group = group
        self.memberID = memberID
        self.generation = generation
        self.owned = owned
        self.maxWaitMs = maxWaitMs
    }

    /// The version this request is encoded at: 1 when it carries `maxWaitMs`, else 0.
    var wireVersion: Int16 { maxWaitMs == nil ? 0 : 1 }
}

/// What a member holds after a join or a heartbeat: the response payload of both.
///
/// On the wire: `string memberId, int32 generation, int32 heartbeatIntervalMs,
/// array<(string topic, array<int32 partition>)> granted, array<(string topic, array<int32 partition>)> pending`.
package struct MemberAssignment: Sendable, Equatable {
    package typealias Topic = TopicPartitions<Int32>

    /// The member's id: the one it joined with, or a new one.
    package var memberID: String
    /// The group's generation, to send in heartbeats and commits.
    package var generation: Int32
    /// How often to heartbeat; the server picks it, about a third of the session timeout.
    package var heartbeatIntervalMs: Int32
    /// Partitions the member owns now and may consume.
    package var granted: [Topic]
    /// Partitions assigned to the member but still held by another one; a later heartbeat grants them.
    package var pending: [Topic]

    package init(memberID: String, generation: Int32, heartbeatIntervalMs: Int32, granted: [Topic], pending: [Topic]) {
        self.memberID = memberID
        self.generation = generation
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.granted = granted
        self.pending = pending
    }
}

/// Leaves a consumer group at once, freeing the member's partitions (API key 13).
///
/// On the wire: `string group, string memberId`.
package struct LeaveGroupRequest: Sendable, Equatable {
    package var group: String
    package var memberID: String

    package init(group: String, memberID: String) {
        self.group = group
        self.memberID = memberID
    }
}

/// The member has left (or was not in the group). Empty payload.
package struct LeaveGroupResponse: Sendable, Equatable {
    package init() {}
}

// MARK: - Wire forms

extension JoinGroupRequest: WireCodable {
    var wireSize: Int {
        WireSize.string(group) + WireSize.string(memberID) + WireSize.string(clientID) + 4 + WireSize.array(topics)
    }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> JoinGroupRequest {
        JoinGroupRequest(
            group: try buffer.readWireString(), memberID: try buffer.readWireString(),
            clientID: try buffer.readWireString(), sessionTimeoutMs: try buffer.readInt32(),
            topics: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(memberID)
        buffer.writeWireString(clientID)
        buffer.writeInt32(sessionTimeoutMs)
        buffer.writeArray(topics)
    }
}

extension HeartbeatRequest {
    var wireSize: Int {
        WireSize.string(group) + WireSize.string(memberID) + 4 + WireSize.array(owned) + (maxWaitMs == nil ? 0 : 4)
    }

    static func read(from buffer: inout ByteBuffer, version: Int16) throws(SluiceError) -> HeartbeatRequest {
        var request = HeartbeatRequest(
            group: try buffer.readWireString(), memberID: try buffer.readWireString(),
            generation: try buffer.readInt32(), owned: try buffer.readArray())
        if version >= 1 { request.maxWaitMs = try buffer.readInt32() }
        return request
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(memberID)
        buffer.writeInt32(generation)
        buffer.writeArray(owned)
        if let maxWaitMs { buffer.writeInt32(maxWaitMs) }
    }
}

extension MemberAssignment: WireCodable {
    var wireSize: Int { WireSize.string(memberID) + 8 + WireSize.array(granted) + WireSize.array(pending) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> MemberAssignment {
        MemberAssignment(
            memberID: try buffer.readWireString(), generation: try buffer.readInt32(),
            heartbeatIntervalMs: try buffer.readInt32(), granted: try buffer.readArray(),
            pending: try buffer.readArray())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(memberID)
        buffer.writeInt32(generation)
        buffer.writeInt32(heartbeatIntervalMs)
        buffer.writeArray(granted)
        buffer.writeArray(pending)
    }
}

extension LeaveGroupRequest: WireCodable {
    var wireSize: Int { WireSize.string(group) + WireSize.string(memberID) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> LeaveGroupRequest {
        LeaveGroupRequest(group: try buffer.readWireString(), memberID: try buffer.readWireString())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(group)
        buffer.writeWireString(memberID)
    }
}

extension LeaveGroupResponse: EmptyPayload {}

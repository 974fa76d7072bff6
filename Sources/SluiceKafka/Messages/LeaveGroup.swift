import NIOCore

/// LeaveGroup request (key 13), v0–1. The response is `KafkaLeaveGroupResponse`.
public struct KafkaLeaveGroupRequest: Sendable, Hashable {
    public var groupId: String
    public var memberId: String

    public init(groupId: String, memberId: String) {
        self.groupId = groupId
        self.memberId = memberId
    }

    static func decode(version: Int16, from buffer: inout ByteBuffer) throws(KafkaDecodeError) -> Self {
        Self(groupId: try buffer.readKafkaString("group_id"), memberId: try buffer.readKafkaString("member_id"))
    }

    func encode(version: Int16, into buffer: inout ByteBuffer) {
        buffer.writeKafkaString(groupId)
        buffer.writeKafkaString(memberId)
    }
}

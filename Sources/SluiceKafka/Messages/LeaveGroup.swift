import NIOCore

/// LeaveGroup request (key 13), v0–1. The response is `KafkaLeaveGroupResponse`.
package struct KafkaLeaveGroupRequest: Sendable, Hashable {
    package var groupId: String
    package var memberId: String

    package init(groupId: String, memberId: String) {
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

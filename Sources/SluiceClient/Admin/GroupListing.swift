/// One group as `SluiceClient.listGroups()` lists it.
public struct GroupListing: Sendable, Hashable {
    public var name: String
    public var state: GroupDescription.State
    /// Live members.
    public var memberCount: Int32
    /// What kind of group it is.
    public var type: GroupType

    /// What kind of group a group id names.
    public enum GroupType: String, Sendable, Hashable, CaseIterable {
        /// A consumer group of native members (the server assigns partitions).
        case consumer
        /// A consumer group of Kafka clients on the classic protocol (the group's leader assigns).
        case classic
        /// A share group: members share partitions, and acknowledge records one by one.
        case share
    }

    public init(name: String, state: GroupDescription.State, memberCount: Int32, type: GroupType = .consumer) {
        self.name = name
        self.state = state
        self.memberCount = memberCount
        self.type = type
    }
}

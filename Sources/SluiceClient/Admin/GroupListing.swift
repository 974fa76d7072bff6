/// One group as `SluiceClient.listGroups()` lists it.
public struct GroupListing: Sendable, Hashable {
    public var name: String
    public var state: GroupDescription.State
    /// Live members.
    public var memberCount: Int32

    public init(name: String, state: GroupDescription.State, memberCount: Int32) {
        self.name = name
        self.state = state
        self.memberCount = memberCount
    }
}

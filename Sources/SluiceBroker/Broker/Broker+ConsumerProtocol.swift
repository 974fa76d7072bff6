import SluiceCore

/// Kafka's consumer protocol (KIP-848) on the native group coordinator: one group, whichever protocol its
/// members speak, described by `describeGroup` and `listGroups` like any other.
extension Broker {
    /// A ConsumerGroupHeartbeat. A group the classic coordinator holds is refused `.notConsumerGroup`, as Kafka
    /// refuses a consumer-protocol member of a classic group.
    package func consumerGroupHeartbeat(_ group: String, _ beat: ConsumerHeartbeat)
        -> Result<ConsumerHeartbeatAnswer, ConsumerHeartbeatRefusal>
    {
        if classicGroups.holds(group) {
            return .failure(
                .notConsumerGroup("group '\(group)' is a classic Kafka group; its members must leave first"))
        }
        return groups.consumerHeartbeat(group: group, beat)
    }

    /// The membership of a group the native coordinator holds (native and consumer-protocol members), or nil.
    package func groupMembers(_ group: String) -> GroupMembers? {
        groups.describe(group)
    }
}

/// A topic as the catalog defines it: its name, settings, creation time (ms since the Unix epoch) and stable id.
package struct TopicDefinition: Sendable, Hashable {
    package var name: String
    package var config: TopicConfig
    package var createdAt: Int64
    /// Given at creation and never changed (see `TopicID`).
    package var topicID: TopicID

    package init(name: String, config: TopicConfig, createdAt: Int64, topicID: TopicID) {
        self.name = name
        self.config = config
        self.createdAt = createdAt
        self.topicID = topicID
    }
}

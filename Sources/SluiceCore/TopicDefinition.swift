/// A topic as the catalog defines it: its name, settings and creation time (ms since the Unix epoch).
package struct TopicDefinition: Sendable, Hashable {
    package var name: String
    package var config: TopicConfig
    package var createdAt: Int64

    package init(name: String, config: TopicConfig, createdAt: Int64) {
        self.name = name
        self.config = config
        self.createdAt = createdAt
    }
}

import SluiceCore

extension Broker {
    /// The number of partitions of a live topic, from memory; throws `unknownTopic` (or the error that keeps a
    /// broken topic closed). Cheap enough to check a request against before doing any work for it.
    package func partitionCount(_ topic: String) throws(SluiceError) -> Int32 {
        try handle(topic).partitionCount
    }
}

extension Broker {
    /// A live topic's id (see `TopicID`), from memory; `nil` for a topic that does not exist.
    package func topicID(named name: String) -> TopicID? {
        registry.withLock { $0.topicIDs[name] }
    }

    /// The name of the live topic with this id, from memory; `nil` when no topic has it (the zero id included).
    package func topicName(id: TopicID) -> String? {
        registry.withLock { $0.topicNames[id] }
    }

    /// The ids of the named live topics, from memory, in one look; unknown names are left out.
    package func topicIDs(named names: some Sequence<String>) -> [String: TopicID] {
        registry.withLock { registry in
            var found: [String: TopicID] = [:]
            for name in names { if let id = registry.topicIDs[name] { found[name] = id } }
            return found
        }
    }
}

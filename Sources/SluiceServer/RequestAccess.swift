import SluiceProtocol

/// One permission a request needs: an operation on a topic, or on some topic when `topic` is nil.
struct RequiredAccess: Sendable, Hashable {
    var operation: AccessOperation
    var topic: String?
}

extension Request {
    /// The permissions this request needs under an access policy; empty for requests anyone connected may make.
    ///
    /// `api_versions`, `metadata` (partition counts and offsets), `init_producer_id`, and a member's `heartbeat` and `leave_group` (it
    /// joined with `consume` on its topics) need nothing. Reading a group's offsets or state needs `consume` on its
    /// topics, or on some topic when the request names none. Everything that deletes, resets or reconfigures needs
    /// `admin`; `backup`, which copies every topic, needs `admin` on every topic.
    var requiredAccess: [RequiredAccess] {
        func each(_ operation: AccessOperation, _ topics: [String]) -> [RequiredAccess] {
            var seen: Set<String> = []
            return topics.filter { seen.insert($0).inserted }.map { RequiredAccess(operation: operation, topic: $0) }
        }
        switch self {
        case .apiVersions, .metadata, .heartbeat, .leaveGroup:
            return []
        case .produce(let produce):
            return each(.produce, produce.topics.map(\.name))
        case .fetch(let fetch):
            return each(.consume, fetch.topics.map(\.name))
        case .listOffsets(let list):
            return each(.consume, list.topics.map(\.name))
        case .commitOffsets(let commit):
            return each(.consume, commit.topics.map(\.name))
        case .fetchOffsets(let fetch):
            guard let topics = fetch.topics else { return [RequiredAccess(operation: .consume, topic: nil)] }
            return each(.consume, topics.map(\.name))
        case .joinGroup(let join):
            return each(.consume, join.topics)
        case .describeTopic(let describe):
            return [RequiredAccess(operation: .consume, topic: describe.name)]
        case .describeGroup, .listGroups:
            return [RequiredAccess(operation: .consume, topic: nil)]
        case .createTopic(let create):
            return [RequiredAccess(operation: .admin, topic: create.name)]
        case .deleteTopic(let delete):
            return [RequiredAccess(operation: .admin, topic: delete.name)]
        case .alterTopic(let alter):
            return [RequiredAccess(operation: .admin, topic: alter.name)]
        case .resetOffsets(let reset):
            return [RequiredAccess(operation: .admin, topic: reset.topic)]
        case .deleteGroup:
            return [RequiredAccess(operation: .admin, topic: nil)]
        case .stats:
            return [RequiredAccess(operation: .admin, topic: nil)]
        case .backup:
            // Every topic: a rule grants the name "*" only when its patterns match any name (names never hold `*`).
            return [RequiredAccess(operation: .admin, topic: "*")]
        case .initProducerID:
            // An id alone writes nothing to any topic; leaving it open lets a refused producer hear which topic it
            // may not write to, instead of failing on the id.
            return []
        }
    }
}

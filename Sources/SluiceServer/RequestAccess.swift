import Logging
import SluiceProtocol

/// One permission a request needs: an operation on a topic (on some topic when its name is nil) or on a consumer
/// group, or, `describing`, any grant at all on it.
struct RequiredAccess: Sendable, Hashable {
    var operation: AccessOperation
    var resource: AccessResource
    /// True when any grant on the resource will do: describing a group or a topic, as Kafka's DESCRIBE is implied
    /// by READ, WRITE and DELETE.
    var describing = false

    static func topic(_ operation: AccessOperation, _ topic: String?) -> RequiredAccess {
        RequiredAccess(operation: operation, resource: .topic(topic))
    }

    static func group(_ operation: AccessOperation, _ group: String) -> RequiredAccess {
        RequiredAccess(operation: operation, resource: .group(group))
    }

    static func describe(group: String) -> RequiredAccess {
        RequiredAccess(operation: .consume, resource: .group(group), describing: true)
    }

    static func describe(topic: String) -> RequiredAccess {
        RequiredAccess(operation: .consume, resource: .topic(topic), describing: true)
    }

    /// The operation as a refusal names it.
    var verb: String { describing ? "describe" : operation.rawValue }

    /// The resource as a refusal names it.
    var target: String {
        switch resource {
        case .topic(let topic?): "topic '\(topic)'"
        case .topic(nil): "any topic"
        case .group(let group): "group '\(group)'"
        }
    }
}

extension AccessPolicy {
    /// Whether `peer` has the permission `need`.
    func allows(_ peer: PeerIdentity, _ need: RequiredAccess) -> Bool {
        if need.describing {
            switch need.resource {
            case .group(let group): return mayDescribe(peer, group: group)
            case .topic(let topic?): return mayDescribe(peer, topic: topic)
            case .topic(nil): return AccessOperation.allCases.contains { allows(peer, $0, topic: nil) }
            }
        }
        return allows(peer, need.operation, need.resource)
    }

    /// Whether `peer` has the permission `need`; a refusal is logged as a warning, the same on both listeners.
    func permits(_ peer: PeerIdentity, _ need: RequiredAccess, api: String, logger: Logger) -> Bool {
        if allows(peer, need) { return true }
        var metadata: Logger.Metadata = [
            "uid": "\(peer.isKnown ? "\(peer.uid)" : "unknown")", "gid": "\(peer.isKnown ? "\(peer.gid)" : "unknown")",
            "pid": "\(peer.pid)", "operation": "\(need.verb)", "api": "\(api)",
        ]
        switch need.resource {
        case .topic(let topic): metadata["topic"] = "\(topic ?? "*")"
        case .group(let group): metadata["group"] = "\(group)"
        }
        logger.warning("access denied", metadata: metadata)
        return false
    }

    /// The refusal's message: who may not do what to what, in which API.
    static func refusal(_ peer: PeerIdentity, _ need: RequiredAccess, api: String) -> String {
        let who = peer.isKnown ? "uid \(peer.uid)" : "an unknown user"
        return "\(who) may not \(need.verb) \(need.target) (\(api))"
    }
}

extension Request {
    /// The permissions this request needs under an access policy; empty for requests anyone connected may make.
    ///
    /// `api_versions`, `metadata` (partition counts and offsets) and `list_groups` (answered with the groups the
    /// peer may describe) need nothing. Joining, heartbeating, leaving and committing need `consume` on the group,
    /// joining and committing also on the topics. Reading a group's offsets or state needs a grant on the group (and
    /// `consume` on the topics it names; an answer for every topic leaves out those the peer may not consume).
    /// Everything that deletes, resets or reconfigures needs `admin` (resetting on the group and the topic);
    /// `backup`, which copies every topic, needs `admin` on every topic; `init_producer_id` needs `produce` on some
    /// topic.
    var requiredAccess: [RequiredAccess] {
        func each(_ operation: AccessOperation, _ topics: [String]) -> [RequiredAccess] {
            var seen: Set<String> = []
            return topics.filter { seen.insert($0).inserted }.map { .topic(operation, $0) }
        }
        switch self {
        case .apiVersions, .metadata, .listGroups:
            return []
        case .heartbeat(let heartbeat):
            return [.group(.consume, heartbeat.group)]
        case .leaveGroup(let leave):
            return [.group(.consume, leave.group)]
        case .produce(let produce):
            return each(.produce, produce.topics.map(\.name))
        case .fetch(let fetch):
            return each(.consume, fetch.topics.map(\.name))
        case .listOffsets(let list):
            return each(.consume, list.topics.map(\.name))
        case .commitOffsets(let commit):
            return [.group(.consume, commit.group)] + each(.consume, commit.topics.map(\.name))
        case .fetchOffsets(let fetch):
            return [.describe(group: fetch.group)] + each(.consume, fetch.topics?.map(\.name) ?? [])
        case .joinGroup(let join):
            return [.group(.consume, join.group)] + each(.consume, join.topics)
        case .describeTopic(let describe):
            return [.topic(.consume, describe.name)]
        case .describeGroup(let describe):
            return [.describe(group: describe.group)]
        case .createTopic(let create):
            return [.topic(.admin, create.name)]
        case .deleteTopic(let delete):
            return [.topic(.admin, delete.name)]
        case .alterTopic(let alter):
            return [.topic(.admin, alter.name)]
        case .resetOffsets(let reset):
            return [.group(.admin, reset.group), .topic(.admin, reset.topic)]
        case .deleteGroup(let delete):
            return [.group(.admin, delete.group)]
        case .stats:
            return [.topic(.admin, nil)]
        case .deleteRecords(let delete):
            return [.topic(.admin, delete.topic)]
        case .backup:
            // Every topic: a rule grants the name "*" only when its patterns match any name (names never hold `*`).
            return [.topic(.admin, "*")]
        case .initProducerID:
            // An id writes nothing by itself, but each block of ids is a durable write: only a producer gets one.
            return [.topic(.produce, nil)]
        }
    }
}

extension AccessPolicy {
    /// `response` with what `peer` may not see left out: the groups it may not describe from a group listing, the
    /// topics it may not consume from a group's description and from a listing of all of a group's offsets.
    func visible(_ response: Response, to peer: PeerIdentity) -> Response {
        switch response {
        case .listGroups(var list):
            list.groups.removeAll { !mayDescribe(peer, group: $0.name) }
            return .listGroups(list)
        case .describeGroup(var describe):
            let readable = { (topic: String) in self.allows(peer, .consume, topic: topic) }
            describe.topics.removeAll { !readable($0.name) }
            for index in describe.members.indices {
                describe.members[index].topics.removeAll { !readable($0) }
                describe.members[index].owned.removeAll { !readable($0.name) }
                describe.members[index].pending.removeAll { !readable($0.name) }
            }
            return .describeGroup(describe)
        case .fetchOffsets(var fetch):
            fetch.topics.removeAll { !allows(peer, .consume, topic: $0.name) }
            return .fetchOffsets(fetch)
        default:
            return response
        }
    }
}

import CoreMetrics
import Logging
import SluiceCore

/// What the group keeps for a member of Kafka's consumer protocol (KIP-848) beside what every member has.
struct ConsumerProtocolMember: Sendable {
    /// The epoch the member was last told; it rises whenever the partitions it may use change.
    var epoch: Int32 = 0
    /// The epoch before, still accepted once: the answer that raised it may have been lost.
    var previousEpoch: Int32 = 0
    /// The partitions the member was last told it may use; nil before its first answer.
    var sent: Set<TopicPartition>? = nil
    var clientHost: String
    var instanceID: String?
}

/// One ConsumerGroupHeartbeat, in domain terms.
package struct ConsumerHeartbeat: Sendable {
    package var memberID: String
    /// 0 to join, -1 to leave, -2 for a static member leaving; otherwise the epoch the member last heard.
    package var memberEpoch: Int32
    package var clientID: String
    package var clientHost: String
    package var instanceID: String?
    /// The topics subscribed to; nil when unchanged since the last heartbeat.
    package var topics: [String]?
    /// The partitions the member owns; nil when unchanged since the last heartbeat.
    package var owned: [TopicPartition]?
    /// Whether a joining member names itself (ConsumerGroupHeartbeat v1, KIP-1082): an id the group does not hold
    /// is then taken as the member's; otherwise the coordinator names it.
    package var namesItself: Bool

    package init(
        memberID: String, memberEpoch: Int32, clientID: String, clientHost: String, instanceID: String? = nil,
        topics: [String]?, owned: [TopicPartition]?, namesItself: Bool = false
    ) {
        self.memberID = memberID
        self.memberEpoch = memberEpoch
        self.clientID = clientID
        self.clientHost = clientHost
        self.instanceID = instanceID
        self.topics = topics
        self.owned = owned
        self.namesItself = namesItself
    }
}

/// The answer to a ConsumerGroupHeartbeat.
package struct ConsumerHeartbeatAnswer: Sendable, Hashable {
    package var memberID: String
    package var memberEpoch: Int32
    /// The partitions the member may use; nil when unchanged since the last answer.
    package var assignment: [TopicPartition]?
    /// Whether partitions assigned to the member are still held by others: it is asked to heartbeat sooner.
    package var waiting: Bool
    package var heartbeatIntervalMs: Int32
}

/// Why a ConsumerGroupHeartbeat is refused, as KIP-848 names it.
package enum ConsumerHeartbeatRefusal: Error, Sendable, Hashable {
    /// UNKNOWN_MEMBER_ID: the member left or was removed; it joins again with epoch 0 and no id.
    case unknownMember(String)
    /// FENCED_MEMBER_EPOCH: the epoch is not the member's; it drops its partitions and rejoins with epoch 0.
    case fencedMemberEpoch(String)
    /// INVALID_REQUEST.
    case invalidRequest(String)
    /// GROUP_ID_NOT_FOUND: the group is a classic one (Kafka: "not a consumer group").
    case notConsumerGroup(String)

    package var message: String {
        switch self {
        case .unknownMember(let message), .fencedMemberEpoch(let message), .invalidRequest(let message),
            .notConsumerGroup(let message):
            message
        }
    }
}

/// Kafka's consumer protocol on the native group: the server assigns, as for native members, and both kinds of
/// member can share one group. A member's epoch rises each time the partitions it may use change; an answer
/// carries the assignment only then. A partition taken from a member is left out of its next answer, and given to
/// its new owner only once the old one reports (in a heartbeat's owned partitions) that it let it go, or is gone.
extension ConsumerGroup {
    /// Heartbeat intervals: short while the member waits for partitions others still hold, so that a handover
    /// takes a few hundred milliseconds; Kafka-like otherwise.
    static let consumerHeartbeatIntervalMs: Int32 = 3_000
    static let consumerWaitingHeartbeatIntervalMs: Int32 = 250
    /// Kafka's `group.consumer.session.timeout.ms` default.
    static let consumerSessionTimeoutMs: Int64 = 45_000

    mutating func consumerHeartbeat(
        _ beat: ConsumerHeartbeat, now: Int64, partitions: [String: Int32],
        makeMemberID: (String) -> String = { randomMemberID(clientID: $0) }
    ) throws(ConsumerHeartbeatRefusal) -> ConsumerHeartbeatAnswer {
        let id = beat.memberID
        switch beat.memberEpoch {
        case -2, -1:
            guard members[id] != nil else {
                throw .unknownMember("member '\(id)' is not in group '\(name)'")
            }
            leave(memberID: id, partitions: partitions)
            return ConsumerHeartbeatAnswer(
                memberID: id, memberEpoch: beat.memberEpoch, assignment: nil, waiting: false,
                heartbeatIntervalMs: 0)
        case 0:
            if let member = members[id], member.consumer != nil {
                // Back after it was fenced: it dropped its partitions, and hears its assignment afresh.
                members[id]!.topics = beat.topics.map(Set.init) ?? member.topics
                members[id]!.deadline = now + member.sessionTimeoutMs
                members[id]!.consumer!.sent = nil
                members[id]!.consumer!.clientHost = beat.clientHost
                release(memberID: id, keeping: Set(beat.owned ?? []))
                rebalance(partitions: partitions)
                return answer(id, force: true)
            }
            guard let topics = beat.topics else {
                throw .invalidRequest("a member joining group '\(name)' must name the topics it subscribes to")
            }
            var fresh = beat.namesItself && !id.isEmpty && members[id] == nil ? id : makeMemberID(beat.clientID)
            while members[fresh] != nil { fresh = makeMemberID(beat.clientID) }
            var member = Member(
                id: fresh, topics: Set(topics), sessionTimeoutMs: Self.consumerSessionTimeoutMs,
                deadline: now + Self.consumerSessionTimeoutMs, clientID: beat.clientID)
            member.consumer = ConsumerProtocolMember(clientHost: beat.clientHost, instanceID: beat.instanceID)
            members[fresh] = member
            rebalance(partitions: partitions)
            return answer(fresh, force: true)
        default:
            guard let member = members[id], let consumer = member.consumer else {
                throw .unknownMember("member '\(id)' is not in group '\(name)'; join again")
            }
            guard beat.memberEpoch == consumer.epoch || beat.memberEpoch == consumer.previousEpoch else {
                throw .fencedMemberEpoch(
                    "member '\(id)' is at epoch \(consumer.epoch), not \(beat.memberEpoch); rejoin with epoch 0")
            }
            members[id]!.deadline = now + member.sessionTimeoutMs
            if let owned = beat.owned { release(memberID: id, keeping: Set(owned)) }
            if let topics = beat.topics { members[id]!.topics = Set(topics) }
            // Also picks up topics created, or given partitions, since the last heartbeat; a new generation starts
            // only when some target changed.
            rebalance(partitions: partitions)
            // An answer at the previous epoch was lost: the member hears its assignment again.
            return answer(id, force: beat.memberEpoch != consumer.epoch)
        }
    }

    /// Grants the member what is free of its target and tells it, at a new epoch, when that changed.
    private mutating func answer(_ id: String, force: Bool) -> ConsumerHeartbeatAnswer {
        let granted = grant(to: id, owned: [])
        var consumer = members[id]!.consumer!
        let now = Set(granted.granted)
        var assignment: [TopicPartition]? = nil
        if consumer.sent != now || consumer.epoch == 0 {
            consumer.previousEpoch = consumer.epoch
            consumer.epoch = max(consumer.epoch + 1, generation)
            consumer.sent = now
            assignment = granted.granted
        } else if force {
            assignment = granted.granted
        }
        members[id]!.consumer = consumer
        let waiting = !granted.pending.isEmpty
        return ConsumerHeartbeatAnswer(
            memberID: id, memberEpoch: consumer.epoch, assignment: assignment, waiting: waiting,
            heartbeatIntervalMs: waiting ? Self.consumerWaitingHeartbeatIntervalMs : Self.consumerHeartbeatIntervalMs)
    }

    /// Whether any member speaks Kafka's consumer protocol.
    var hasConsumerProtocolMembers: Bool { members.values.contains { $0.consumer != nil } }
}

extension GroupCoordinator {
    /// A ConsumerGroupHeartbeat (KIP-848), answered at once: consumer-protocol heartbeats are not held (the
    /// client times its own). Unknown topics in a subscription are kept and get partitions once they exist.
    func consumerHeartbeat(group: String, _ beat: ConsumerHeartbeat)
        -> Result<ConsumerHeartbeatAnswer, ConsumerHeartbeatRefusal>
    {
        if group.isEmpty { return .failure(.invalidRequest("group id is empty")) }
        let counts = partitionCounts(Array(Set(beat.topics ?? []).union(consumerTopics(of: group))))
        let now = clock()
        return shell.update { state, effects in
            var consumerGroup = state.groups[group] ?? ConsumerGroup(name: group)
            let generation = consumerGroup.generation
            let result: Result<ConsumerHeartbeatAnswer, ConsumerHeartbeatRefusal>
            do throws(ConsumerHeartbeatRefusal) {
                result = .success(try consumerGroup.consumerHeartbeat(beat, now: now, partitions: counts))
            } catch {
                result = .failure(error)
            }
            if consumerGroup.generation != generation {
                BrokerMetrics.rebalances.increment()
                logger.info(
                    "group rebalanced",
                    metadata: [
                        "group": "\(group)", "generation": "\(consumerGroup.generation)",
                        "members": "\(consumerGroup.members.count)",
                    ])
            }
            state.groups[group] = consumerGroup.isEmpty ? nil : consumerGroup
            Self.answerHeld(in: group, state: &state, now: now, effects: &effects)
            return result
        }
    }

    private func consumerTopics(of group: String) -> [String] {
        shell.read { Array(Set($0.groups[group]?.members.values.flatMap(\.topics) ?? [])) }
    }
}

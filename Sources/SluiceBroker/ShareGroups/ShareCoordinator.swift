import Logging
import SluiceCore

/// Share groups' membership: members, their subscriptions and session deadlines (soft state, as consumer groups'
/// members are; a restart forgets them and they join again).
///
/// Every member of a share group may read every partition of the topics it subscribes to, so there is no
/// rebalance: a member's assignment is its topics' partitions, and its epoch rises whenever that changes. A member
/// that leaves or misses its session timeout is removed and `onRemoved` is told (outside the lock), which releases
/// the records it held. One one-shot timer, for the earliest session deadline, none while no share group has
/// members (`CoordinatorShell`).
final class ShareCoordinator: Sendable {
    struct Member: Sendable, Hashable {
        var memberID: String
        var clientID: String
        var topics: [String]
        var epoch: Int32
        var assignment: [TopicPartition]
        var deadline: Int64
        var sessionTimeoutMs: Int64
    }

    struct Removed: CoordinatorEffect {
        var group: String
        var memberIDs: [String]
        var notify: @Sendable (String, [String]) -> Void

        func run() { notify(group, memberIDs) }
    }

    struct State: CoordinatorState {
        typealias Effect = Removed
        var groups: [String: [String: Member]] = [:]

        var nextDeadline: Int64? { groups.values.flatMap(\.values).map(\.deadline).min() }
    }

    private let shell: CoordinatorShell<State>
    private let logger: Logger
    private let partitionCounts: @Sendable ([String]) -> [String: Int32]
    private let onRemoved: @Sendable (String, [String]) -> Void

    init(
        logger: Logger, clock: @escaping @Sendable () -> Int64,
        scheduler: any TimerScheduler = DispatchTimerScheduler(label: "sluice.share-groups"),
        partitionCounts: @escaping @Sendable ([String]) -> [String: Int32],
        onRemoved: @escaping @Sendable (String, [String]) -> Void
    ) {
        self.logger = logger
        self.partitionCounts = partitionCounts
        self.onRemoved = onRemoved
        self.shell = CoordinatorShell(State(), clock: clock, scheduler: scheduler)
        shell.onDeadline { [weak self] now in self?.expire(now: now) }
    }

    /// A heartbeat: joins (`memberEpoch` 0, with an empty id for one the broker chooses, or the client's own id, as
    /// Kafka's clients choose theirs), keeps a member alive, changes its subscription (`topics` not `nil`), or
    /// removes it (`leaving`). An id the group does not hold at an epoch above 0 is `unknownMember`: the member was
    /// removed (session expired, left, or the broker restarted) and must join again.
    func heartbeat(
        group: String, memberID: String, memberEpoch: Int32, clientID: String, topics: [String]?, leaving: Bool,
        settings: ShareGroupConfig
    ) throws(SluiceError) -> ShareMemberAssignment {
        if group.isEmpty { throw SluiceError(.invalidArgument, "group id is empty") }
        let counts = topics.map { partitionCounts($0) } ?? [:]
        let now = shell.clock()
        let notify = onRemoved
        return try shell.update { state, effects -> Result<ShareMemberAssignment, SluiceError> in
            Result { () throws(SluiceError) -> ShareMemberAssignment in
                var members = state.groups[group] ?? [:]
                defer { state.groups[group] = members.isEmpty ? nil : members }
                if leaving {
                    if members.removeValue(forKey: memberID) != nil {
                        effects.append(Removed(group: group, memberIDs: [memberID], notify: notify))
                    }
                    return ShareMemberAssignment(
                        memberID: memberID, memberEpoch: -1, heartbeatIntervalMs: settings.heartbeatIntervalMs,
                        assignment: [])
                }
                var member: Member
                if let existing = members[memberID], !memberID.isEmpty {
                    member = existing
                } else if memberEpoch == 0 {
                    guard let topics, !topics.isEmpty else {
                        throw SluiceError(.invalidArgument, "a share-group member must subscribe to at least one topic")
                    }
                    let id = memberID.isEmpty ? ConsumerGroup.randomMemberID(clientID: clientID) : memberID
                    member = Member(
                        memberID: id, clientID: clientID, topics: topics, epoch: 0, assignment: [], deadline: now,
                        sessionTimeoutMs: Int64(settings.sessionTimeoutMs))
                } else {
                    throw SluiceError(
                        .unknownMember,
                        "member '\(memberID)' is not in share group '\(group)' (its session expired, it left or the "
                            + "server restarted); join again")
                }
                if let topics { member.topics = Array(Set(topics)).sorted() }
                var assignment: [TopicPartition] = []
                let known = topics == nil ? partitionCounts(member.topics) : counts
                for topic in member.topics {
                    guard let count = known[topic] else { continue }
                    for partition in 0..<count { assignment.append(TopicPartition(topic: topic, partition: partition)) }
                }
                if assignment != member.assignment || member.epoch == 0 {
                    member.assignment = assignment
                    member.epoch += 1
                }
                member.sessionTimeoutMs = Int64(settings.sessionTimeoutMs)
                member.deadline = now + member.sessionTimeoutMs
                members[member.memberID] = member
                return ShareMemberAssignment(
                    memberID: member.memberID, memberEpoch: member.epoch,
                    heartbeatIntervalMs: settings.heartbeatIntervalMs, assignment: assignment)
            }
        }.get()
    }

    /// Whether `memberID` is a live member of `group`.
    func isMember(_ group: String, _ memberID: String) -> Bool {
        shell.read { $0.groups[group]?[memberID] != nil }
    }

    func hasMembers(_ group: String) -> Bool {
        shell.read { !($0.groups[group]?.isEmpty ?? true) }
    }

    func members(_ group: String) -> [Member] {
        shell.read { state in (state.groups[group] ?? [:]).values.sorted { $0.memberID < $1.memberID } }
    }

    /// Groups with members, and how many each has.
    func liveGroups() -> [String: Int] {
        shell.read { state in state.groups.mapValues(\.count) }
    }

    /// The topics a group's members subscribe to.
    func topics(_ group: String) -> Set<String> {
        shell.read { state in Set((state.groups[group] ?? [:]).values.flatMap(\.topics)) }
    }

    func stop() {
        shell.stop { state, _ in state.groups.removeAll() }
    }

    private func expire(now: Int64) {
        let notify = onRemoved
        shell.update { state, effects in
            for (group, members) in state.groups {
                let expired = members.values.filter { $0.deadline <= now }.map(\.memberID)
                guard !expired.isEmpty else { continue }
                var left = members
                for id in expired { left.removeValue(forKey: id) }
                state.groups[group] = left.isEmpty ? nil : left
                logger.info(
                    "share-group member expired", metadata: ["group": "\(group)", "members": "\(expired)"])
                effects.append(Removed(group: group, memberIDs: expired, notify: notify))
            }
        }
    }
}

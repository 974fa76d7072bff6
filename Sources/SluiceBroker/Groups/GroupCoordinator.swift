import CoreMetrics
import Logging
import SluiceCore

/// What a member learns from a join or heartbeat.
package struct GroupAssignment: Sendable, Hashable {
    package var memberID: String
    package var generation: Int32
    package var heartbeatIntervalMs: Int32
    package var granted: [TopicPartition]
    package var pending: [TopicPartition]
}

/// A group's membership as `describeGroup` reports it.
package struct GroupMembers: Sendable {
    package enum State: String, Sendable {
        case empty, stable, rebalancing, dead
    }

    package struct Member: Sendable {
        package var memberID: String
        package var clientID: String
        package var topics: [String]
        package var owned: [TopicPartition]
        package var pending: [TopicPartition]
        /// Where a Kafka (classic protocol) member connected from; `nil` for native members.
        package var clientHost: String? = nil
    }

    package var group: String
    package var state: State
    package var generation: Int32
    package var members: [Member]
    package var owners: [TopicPartition: String]
}

/// The consumer groups' soft state: members, assignments and session deadlines. Committed offsets live in the
/// catalog, not here, so a restart forgets members (they rejoin) but never offsets.
///
/// Expiry needs no periodic timer: the `CoordinatorShell` arms one one-shot timer for the earliest member
/// deadline, and none while no group has members.
final class GroupCoordinator: Sendable {
    private let shell: CoordinatorShell<State>
    private let partitionCounts: @Sendable ([String]) -> [String: Int32]
    private let logger: Logger
    /// Monotonic milliseconds, for session deadlines.
    var clock: @Sendable () -> Int64 { shell.clock }

    static let minSessionTimeoutMs: Int32 = 1_000
    static let maxSessionTimeoutMs: Int32 = 300_000
    static let defaultSessionTimeoutMs: Int32 = 10_000

    struct State: CoordinatorState {
        typealias Effect = Never
        var groups: [String: ConsumerGroup] = [:]

        var nextDeadline: Int64? { groups.values.compactMap(\.nextDeadline).min() }
    }

    init(logger: Logger, clock: @escaping @Sendable () -> Int64 = Clocks.system.monotonic,
         scheduler: any TimerScheduler = DispatchTimerScheduler(label: "sluice.groups"),
         partitionCounts: @escaping @Sendable ([String]) -> [String: Int32])
    {
        self.logger = logger
        self.shell = CoordinatorShell(State(), clock: clock, scheduler: scheduler)
        self.partitionCounts = partitionCounts
        shell.onDeadline { [weak self] now in self?.expireDue(now: now) }
    }

    func join(group: String, memberID: String, clientID: String, topics: [String], sessionTimeoutMs: Int32)
        throws(SluiceError) -> GroupAssignment
    {
        if group.isEmpty { throw SluiceError(.invalidArgument, "group id is empty") }
        if topics.isEmpty { throw SluiceError(.invalidArgument, "a member must subscribe to at least one topic") }
        let timeout = sessionTimeoutMs <= 0 ? Self.defaultSessionTimeoutMs : sessionTimeoutMs
        guard (Self.minSessionTimeoutMs...Self.maxSessionTimeoutMs).contains(timeout) else {
            throw SluiceError(.invalidArgument, "session timeout \(timeout) ms is outside \(Self.minSessionTimeoutMs)...\(Self.maxSessionTimeoutMs) ms")
        }
        let counts = partitionCounts(topics)
        for topic in topics where counts[topic] == nil { throw SluiceError.unknownTopic(topic) }
        let now = clock()
        let assignment = mutate(group) { state throws(SluiceError) in
            let before = state.generation
            let answer = state.join(memberID: memberID, clientID: clientID, topics: Set(topics),
                                    sessionTimeoutMs: Int64(timeout), now: now, partitions: counts)
            if state.generation != before {
                logger.info("group rebalanced", metadata: ["group": "\(group)", "generation": "\(state.generation)",
                                                           "members": "\(state.members.count)"])
            }
            return answer
        }
        return try assignment.map { Self.answer($0, timeout: Int64(timeout)) }.get()
    }

    func heartbeat(group: String, memberID: String, generation: Int32, owned: [TopicPartition])
        throws(SluiceError) -> GroupAssignment
    {
        let now = clock()
        let result = mutate(group) { state throws(SluiceError) in
            try state.heartbeat(memberID: memberID, generation: generation, owned: Set(owned), now: now)
        }
        let assignment = try result.get()
        let timeout = shell.read { $0.groups[group]?.members[memberID]?.sessionTimeoutMs }
            ?? Int64(Self.defaultSessionTimeoutMs)
        return Self.answer(assignment, timeout: timeout)
    }

    func leave(group: String, memberID: String) {
        let counts = partitionCounts(topics(of: group))
        _ = mutate(group) { state throws(SluiceError) in
            state.leave(memberID: memberID, partitions: counts)
            logger.info("member left", metadata: ["group": "\(group)", "member": "\(memberID)"])
        }
    }

    /// Commit permission for each partition: `nil` where the member may commit.
    func checkCommit(group: String, memberID: String, generation: Int32, partitions: [TopicPartition]) -> [SluiceError?] {
        shell.read { state in
            guard let consumerGroup = state.groups[group] else {
                if memberID.isEmpty && generation < 0 { return partitions.map { _ in nil } }
                let error = SluiceError(.unknownMember, "member '\(memberID)' is not in group '\(group)'; join again")
                return partitions.map { _ in error }
            }
            return partitions.map {
                consumerGroup.checkCommit(memberID: memberID, generation: generation, partition: $0)
            }
        }
    }

    func hasMembers(_ group: String) -> Bool {
        shell.read { !($0.groups[group]?.isEmpty ?? true) }
    }

    func describe(_ group: String) -> GroupMembers? {
        shell.read { state in
            guard let consumerGroup = state.groups[group], !consumerGroup.isEmpty else { return nil }
            var members: [GroupMembers.Member] = []
            var settled = true
            for member in consumerGroup.members.values.sorted(by: { $0.id < $1.id }) {
                let owned = consumerGroup.owners.filter { $0.value == member.id }.keys.sorted()
                let pending = member.target.filter { consumerGroup.owners[$0] != member.id }.sorted()
                if !pending.isEmpty || Set(owned) != member.target { settled = false }
                members.append(.init(memberID: member.id, clientID: member.clientID, topics: member.topics.sorted(),
                                     owned: owned, pending: pending))
            }
            return GroupMembers(group: group, state: settled ? .stable : .rebalancing,
                                generation: consumerGroup.generation, members: members, owners: consumerGroup.owners)
        }
    }

    /// Groups with live members, by name.
    func liveGroups() -> [String: (members: Int, generation: Int32)] {
        shell.read { state in
            state.groups.filter { !$0.value.isEmpty }.mapValues { ($0.members.count, $0.generation) }
        }
    }

    /// Tells every group that topics changed their partition counts.
    func partitionsChanged() {
        let groups = shell.read { Array($0.groups.keys) }
        for group in groups {
            let counts = partitionCounts(topics(of: group))
            _ = mutate(group) { state throws(SluiceError) in state.partitionsChanged(counts) }
        }
    }

    /// Cancels the expiry timer for good (the broker is shutting down).
    func stop() {
        shell.stop()
    }

    // MARK: - Internals

    private func topics(of group: String) -> [String] {
        shell.read { Array(Set($0.groups[group]?.members.values.flatMap(\.topics) ?? [])) }
    }

    private static func answer(_ assignment: ConsumerGroup.Assignment, timeout: Int64) -> GroupAssignment {
        GroupAssignment(memberID: assignment.memberID, generation: assignment.generation,
                        heartbeatIntervalMs: Int32(max(100, timeout / 3)), granted: assignment.granted,
                        pending: assignment.pending)
    }

    /// Runs `body` on the group's state (creating it), drops the group once empty; the shell re-arms the timer.
    private func mutate<T>(_ group: String, _ body: (inout ConsumerGroup) throws(SluiceError) -> T) -> Result<T, SluiceError> {
        shell.update { state, _ in
            var consumerGroup = state.groups[group] ?? ConsumerGroup(name: group)
            let generation = consumerGroup.generation
            defer { if consumerGroup.generation != generation { BrokerMetrics.rebalances.increment() } }
            let result: Result<T, SluiceError>
            do throws(SluiceError) {
                result = .success(try body(&consumerGroup))
            } catch {
                result = .failure(error)
            }
            state.groups[group] = consumerGroup.isEmpty ? nil : consumerGroup
            return result
        }
    }

    /// Removes the members whose session ran out by `now`, group by group, with the partition counts of each
    /// group's topics (read outside the lock).
    private func expireDue(now: Int64) {
        let due = shell.read { state in
            state.groups.filter { ($0.value.nextDeadline ?? .max) <= now }.keys.sorted()
        }
        for group in due {
            let counts = partitionCounts(topics(of: group))
            _ = mutate(group) { state throws(SluiceError) in
                for member in state.expire(now: now, partitions: counts) {
                    logger.info("member expired", metadata: ["group": "\(group)", "member": "\(member)"])
                }
            }
        }
    }
}

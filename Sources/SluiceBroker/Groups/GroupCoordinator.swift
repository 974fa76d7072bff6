import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import Synchronization

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
/// Expiry needs no periodic timer: one one-shot timer is armed for the earliest member deadline, and none while no
/// group has members.
final class GroupCoordinator: Sendable {
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "sluice.groups")
    private let partitionCounts: @Sendable ([String]) -> [String: Int32]
    private let logger: Logger
    let clock: @Sendable () -> Int64

    static let minSessionTimeoutMs: Int32 = 1_000
    static let maxSessionTimeoutMs: Int32 = 300_000
    static let defaultSessionTimeoutMs: Int32 = 10_000

    struct State {
        var groups: [String: ConsumerGroup] = [:]
        var timer = CoordinatorTimer()
    }

    init(logger: Logger, clock: @escaping @Sendable () -> Int64 = Clocks.system.monotonic,
         partitionCounts: @escaping @Sendable ([String]) -> [String: Int32])
    {
        self.logger = logger
        self.clock = clock
        self.partitionCounts = partitionCounts
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
        let timeout = state.withLock { $0.groups[group]?.members[memberID]?.sessionTimeoutMs } ?? Int64(Self.defaultSessionTimeoutMs)
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
        state.withLock { state in
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
        state.withLock { !($0.groups[group]?.isEmpty ?? true) }
    }

    func describe(_ group: String) -> GroupMembers? {
        state.withLock { state in
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
        state.withLock { state in
            state.groups.filter { !$0.value.isEmpty }.mapValues { ($0.members.count, $0.generation) }
        }
    }

    /// Tells every group that topics changed their partition counts.
    func partitionsChanged() {
        let groups = state.withLock { Array($0.groups.keys) }
        for group in groups {
            let counts = partitionCounts(topics(of: group))
            _ = mutate(group) { state throws(SluiceError) in state.partitionsChanged(counts) }
        }
    }

    // MARK: - Internals

    private func topics(of group: String) -> [String] {
        state.withLock { Array(Set($0.groups[group]?.members.values.flatMap(\.topics) ?? [])) }
    }

    private static func answer(_ assignment: ConsumerGroup.Assignment, timeout: Int64) -> GroupAssignment {
        GroupAssignment(memberID: assignment.memberID, generation: assignment.generation,
                        heartbeatIntervalMs: Int32(max(100, timeout / 3)), granted: assignment.granted,
                        pending: assignment.pending)
    }

    /// Runs `body` on the group's state (creating it), drops the group once empty, and re-arms the expiry timer.
    private func mutate<T>(_ group: String, _ body: (inout ConsumerGroup) throws(SluiceError) -> T) -> Result<T, SluiceError> {
        let (result, arm): (Result<T, SluiceError>, Int64?) = state.withLock { state in
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
            return (result, Self.nextTimer(&state))
        }
        if let arm { schedule(at: arm) }
        return result
    }

    /// The deadline to arm the timer for, when it is earlier than the one armed (or none is).
    private static func nextTimer(_ state: inout State) -> Int64? {
        state.timer.next(among: state.groups.values.compactMap(\.nextDeadline))
    }

    private func schedule(at deadline: Int64) {
        CoordinatorTimer.schedule(at: deadline, now: clock(), on: queue) { [self] in expireDue() }
    }

    private func expireDue() {
        let now = clock()
        let groups = state.withLock { state -> [String] in
            state.timer.fired()
            return Array(state.groups.keys)
        }
        for group in groups {
            let counts = partitionCounts(topics(of: group))
            _ = mutate(group) { state throws(SluiceError) in
                for member in state.expire(now: now, partitions: counts) {
                    logger.info("member expired", metadata: ["group": "\(group)", "member": "\(member)"])
                }
            }
        }
        let arm = state.withLock { Self.nextTimer(&$0) }
        if let arm { schedule(at: arm) }
    }
}

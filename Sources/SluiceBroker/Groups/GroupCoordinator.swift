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
        /// Where a Kafka (classic or consumer protocol) member connected from; `nil` for native members.
        package var clientHost: String? = nil
        /// A consumer-protocol (KIP-848) member's epoch; `nil` for other members.
        package var memberEpoch: Int32? = nil
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
/// deadline (or held heartbeat's), and none while no group has members.
///
/// Held heartbeats (a long poll, heartbeat v1): a heartbeat with `maxWaitMs > 0` whose answer would equal the last
/// answer its member got is parked, for at most `min(maxWaitMs, session / 3)`, so that its session cannot run out
/// while it waits. After every change to a group its held heartbeats are looked at again, and one is answered at
/// once with what its member would be told now when that differs (a new generation, a pending partition granted),
/// with `unknown_member` when the member is gone, and at its deadline with the unchanged assignment. A second
/// heartbeat (or a join) from the same member answers its held one at once.
final class GroupCoordinator: Sendable {
    let shell: CoordinatorShell<State>
    let partitionCounts: @Sendable ([String]) -> [String: Int32]
    let logger: Logger
    /// Monotonic milliseconds, for session deadlines.
    var clock: @Sendable () -> Int64 { shell.clock }

    static let minSessionTimeoutMs: Int32 = 1_000
    static let maxSessionTimeoutMs: Int32 = 300_000
    static let defaultSessionTimeoutMs: Int32 = 10_000

    /// How a heartbeat is answered: once, on any thread.
    typealias Respond = @Sendable (Result<GroupAssignment, SluiceError>) -> Void

    /// A parked heartbeat: answered when its member has news, at `deadline` otherwise.
    struct HeldHeartbeat: Sendable {
        var deadline: Int64
        var respond: Respond
    }

    /// A heartbeat's answer, given once the lock is released.
    struct Answer: CoordinatorEffect {
        var respond: Respond
        var result: Result<GroupAssignment, SluiceError>

        func run() { respond(result) }
    }

    struct State: CoordinatorState {
        typealias Effect = Answer
        var groups: [String: ConsumerGroup] = [:]
        /// Held heartbeats, by group and member id.
        var held: [String: [String: HeldHeartbeat]] = [:]
        /// After `stop` no timer goes off, so nothing is held.
        var isStopped = false

        var nextDeadline: Int64? {
            let sessions = groups.values.compactMap(\.nextDeadline).min()
            let holds = held.values.flatMap(\.values).map(\.deadline).min()
            return [sessions, holds].compactMap { $0 }.min()
        }
    }

    init(
        logger: Logger, clock: @escaping @Sendable () -> Int64 = Clocks.system.monotonic,
        scheduler: any TimerScheduler = DispatchTimerScheduler(label: "sluice.groups"),
        partitionCounts: @escaping @Sendable ([String]) -> [String: Int32]
    ) {
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
            throw SluiceError(
                .invalidArgument,
                "session timeout \(timeout) ms is outside \(Self.minSessionTimeoutMs)...\(Self.maxSessionTimeoutMs) ms")
        }
        let counts = partitionCounts(topics)
        for topic in topics where counts[topic] == nil { throw SluiceError.unknownTopic(topic) }
        let now = clock()
        // A rejoin answers the member's held heartbeat, if any, with what it is told now.
        let assignment = mutate(group, answering: memberID) { state throws(SluiceError) in
            let before = state.generation
            let answer = state.join(
                memberID: memberID, clientID: clientID, topics: Set(topics),
                sessionTimeoutMs: Int64(timeout), now: now, partitions: counts)
            if state.generation != before {
                logger.info(
                    "group rebalanced",
                    metadata: [
                        "group": "\(group)", "generation": "\(state.generation)",
                        "members": "\(state.members.count)",
                    ])
            }
            return answer
        }
        return try assignment.map { Self.answer($0, timeout: Int64(timeout)) }.get()
    }

    /// A heartbeat answered at once (never held).
    func heartbeat(group: String, memberID: String, generation: Int32, owned: [TopicPartition])
        throws(SluiceError) -> GroupAssignment
    {
        let answer = Locked<Result<GroupAssignment, SluiceError>?>(nil)
        heartbeat(group: group, memberID: memberID, generation: generation, owned: owned, maxWaitMs: 0) { result in
            answer.withLock { $0 = result }
        }
        // Answered before `heartbeat` returns: a heartbeat with no wait is never held.
        return try answer.withLock { $0! }.get()
    }

    /// A heartbeat, answered through `respond` at once or, with `maxWaitMs > 0` and nothing new for the member,
    /// once it has news or the wait is over (see the type's notes). Either way it counts as the member's sign of
    /// life on arrival, and the partitions it leaves out are released at once.
    func heartbeat(
        group: String, memberID: String, generation: Int32, owned: [TopicPartition], maxWaitMs: Int32,
        respond: @escaping Respond
    ) {
        let now = clock()
        shell.update { state, effects in
            var consumerGroup = state.groups[group] ?? ConsumerGroup(name: group)
            let before = consumerGroup.generation
            let last = consumerGroup.lastAnswer(of: memberID)
            let previous = state.held[group]?.removeValue(forKey: memberID)
            let result: Result<ConsumerGroup.Assignment, SluiceError>
            do throws(SluiceError) {
                result = .success(
                    try consumerGroup.heartbeat(
                        memberID: memberID, generation: generation,
                        owned: Set(owned), now: now))
            } catch {
                result = .failure(error)
            }
            if consumerGroup.generation != before { BrokerMetrics.rebalances.increment() }
            let timeout = consumerGroup.members[memberID]?.sessionTimeoutMs ?? Int64(Self.defaultSessionTimeoutMs)
            let answer = result.map { Self.answer($0, timeout: timeout) }
            // The member's earlier heartbeat, still held, hears what this one changed.
            if let previous { effects.append(Answer(respond: previous.respond, result: answer)) }
            let hold = min(Int64(maxWaitMs), timeout / 3)
            if case .success(let assignment) = result, hold > 0, !state.isStopped,
                previous != nil || assignment == last
            {
                state.held[group, default: [:]][memberID] = HeldHeartbeat(deadline: now + hold, respond: respond)
            } else {
                effects.append(Answer(respond: respond, result: answer))
            }
            state.groups[group] = consumerGroup.isEmpty ? nil : consumerGroup
            Self.answerHeld(in: group, state: &state, now: now, effects: &effects)
        }
    }

    func leave(group: String, memberID: String) {
        let counts = partitionCounts(topics(of: group))
        _ = mutate(group) { state throws(SluiceError) in
            state.leave(memberID: memberID, partitions: counts)
            logger.info("member left", metadata: ["group": "\(group)", "member": "\(memberID)"])
        }
    }

    /// Commit permission for each partition: `nil` where the member may commit.
    func checkCommit(group: String, memberID: String, generation: Int32, partitions: [TopicPartition]) -> [SluiceError?]
    {
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
                members.append(
                    .init(
                        memberID: member.id, clientID: member.clientID, topics: member.topics.sorted(),
                        owned: owned, pending: pending, clientHost: member.consumer?.clientHost,
                        memberEpoch: member.consumer?.epoch))
            }
            return GroupMembers(
                group: group, state: settled ? .stable : .rebalancing,
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

    /// Cancels the expiry timer for good (the broker is shutting down); held heartbeats are answered at once.
    func stop() {
        shell.stop { state, effects in
            state.isStopped = true
            for group in state.held.keys.sorted() {
                Self.answerHeld(in: group, state: &state, now: .max, effects: &effects)
            }
        }
    }

    /// The number of heartbeats held, for tests.
    var heldCount: Int {
        shell.read { $0.held.values.map(\.count).reduce(0, +) }
    }

    // MARK: - Internals

    private func topics(of group: String) -> [String] {
        shell.read { Array(Set($0.groups[group]?.members.values.flatMap(\.topics) ?? [])) }
    }

    private static func answer(_ assignment: ConsumerGroup.Assignment, timeout: Int64) -> GroupAssignment {
        GroupAssignment(
            memberID: assignment.memberID, generation: assignment.generation,
            heartbeatIntervalMs: Int32(max(100, timeout / 3)), granted: assignment.granted,
            pending: assignment.pending)
    }

    /// Answers the group's held heartbeats whose member has news (or is gone) or whose hold is over by `now`.
    static func answerHeld(
        in group: String, state: inout State, now: Int64, answering: String? = nil,
        effects: inout [Answer]
    ) {
        guard var held = state.held[group], !held.isEmpty else { return }
        var consumerGroup = state.groups[group] ?? ConsumerGroup(name: group)
        for (memberID, waiting) in held.sorted(by: { $0.key < $1.key }) {
            let last = consumerGroup.lastAnswer(of: memberID)
            guard let current = consumerGroup.currentAssignment(of: memberID) else {
                held[memberID] = nil
                effects.append(
                    Answer(
                        respond: waiting.respond,
                        result: .failure(
                            SluiceError(
                                .unknownMember, "member '\(memberID)' is not in group '\(group)'; join again"))))
                continue
            }
            guard current != last || waiting.deadline <= now || memberID == answering else { continue }
            held[memberID] = nil
            let timeout = consumerGroup.members[memberID]?.sessionTimeoutMs ?? Int64(defaultSessionTimeoutMs)
            effects.append(Answer(respond: waiting.respond, result: .success(answer(current, timeout: timeout))))
        }
        state.held[group] = held.isEmpty ? nil : held
        if !consumerGroup.isEmpty { state.groups[group] = consumerGroup }
    }

    /// Runs `body` on the group's state (creating it), drops the group once empty, then answers the held
    /// heartbeats the change gave news to; the shell re-arms the timer.
    private func mutate<T>(
        _ group: String, answering memberID: String? = nil,
        _ body: (inout ConsumerGroup) throws(SluiceError) -> T
    ) -> Result<T, SluiceError> {
        let now = clock()
        return shell.update { state, effects in
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
            Self.answerHeld(in: group, state: &state, now: now, answering: memberID, effects: &effects)
            return result
        }
    }

    /// Removes the members whose session ran out by `now`, group by group, with the partition counts of each
    /// group's topics (read outside the lock).
    private func expireDue(now: Int64) {
        let due = shell.read { state in
            let sessions = state.groups.filter { ($0.value.nextDeadline ?? .max) <= now }.keys
            let holds = state.held.filter { $0.value.values.contains { $0.deadline <= now } }.keys
            return Set(sessions).union(holds).sorted()
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

import Logging
import SluiceCore

/// The Kafka classic consumer groups' soft state, behind the async API a Kafka protocol adapter calls.
///
/// Decisions are `ClassicGroup`'s; this class keeps the groups in a `CoordinatorShell` (one lock, and one one-shot
/// timer for the earliest deadline of any group, none while nothing is timed), parks held JoinGroup and SyncGroup
/// requests as continuations (no thread ever blocks) and resumes them, outside the lock, when the state machine
/// says so.
/// A held request whose task is cancelled (its connection closed) is answered at once with an error and forgotten
/// by its group; the member stays until it rejoins or its time runs out.
package final class ClassicGroupCoordinator: Sendable {
    private let shell: CoordinatorShell<State>
    private let logger: Logger
    let settings: ClassicGroupSettings
    /// Monotonic milliseconds, for every deadline.
    var clock: @Sendable () -> Int64 { shell.clock }
    /// Whether a group id is in use by the other kind of group (native groups with members).
    private let isForeign: @Sendable (String) -> Bool

    private enum Waiter {
        /// Registered, continuation not yet stored.
        case reserved
        /// Cancelled before its continuation was stored.
        case cancelled
        case join(CheckedContinuation<ClassicJoinResult, Never>)
        case sync(CheckedContinuation<ClassicSyncResult, Never>)
    }

    private struct State: CoordinatorState {
        typealias Effect = Resume
        var groups: [String: ClassicGroup] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 1
        var stopped = false

        var nextDeadline: Int64? { groups.values.compactMap(\.nextDeadline).min() }
    }

    /// A held request's answer, resumed after the lock is released.
    private struct Resume: CoordinatorEffect {
        var waiter: Waiter
        var action: ClassicGroupAction

        func run() {
            switch (waiter, action) {
            case (.join(let continuation), .join(_, let result)): continuation.resume(returning: result)
            case (.sync(let continuation), .sync(_, let result)): continuation.resume(returning: result)
            case (.join(let continuation), .sync(_, let result)):
                continuation.resume(returning: .failure(result.error, memberID: ""))
            case (.sync(let continuation), .join(_, let result)): continuation.resume(returning: .failure(result.error))
            case (.reserved, _), (.cancelled, _): break
            }
        }
    }

    package convenience init(
        settings: ClassicGroupSettings = ClassicGroupSettings(),
        logger: Logger = Logger(label: "sluice.classic-groups"),
        clock: @escaping @Sendable () -> Int64 = Clocks.system.monotonic,
        isForeign: @escaping @Sendable (String) -> Bool = { _ in false }
    ) {
        self.init(
            settings: settings, logger: logger, clock: clock,
            scheduler: DispatchTimerScheduler(label: "sluice.classic-groups"), isForeign: isForeign)
    }

    /// The same, with the timers' scheduler injected (tests fire it by hand).
    init(
        settings: ClassicGroupSettings, logger: Logger, clock: @escaping @Sendable () -> Int64,
        scheduler: any TimerScheduler, isForeign: @escaping @Sendable (String) -> Bool = { _ in false }
    ) {
        self.settings = settings
        self.logger = logger
        self.shell = CoordinatorShell(State(), clock: clock, scheduler: scheduler)
        self.isForeign = isForeign
        shell.onDeadline { [weak self] now in self?.expireDue(now: now) }
    }

    // MARK: - Requests

    /// JoinGroup: answered at once (errors, MEMBER_ID_REQUIRED, a rejoin with nothing changed) or when the join
    /// phase completes. A group id used by a native group with members is refused INCONSISTENT_GROUP_PROTOCOL.
    package func join(_ request: ClassicJoin) async -> ClassicJoinResult {
        if request.groupID.isEmpty { return .failure(.invalidGroupID, memberID: request.memberID) }
        if isForeign(request.groupID) { return .failure(.inconsistentGroupProtocol, memberID: request.memberID) }
        let id = reserve()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ClassicJoinResult, Never>) in
                let now = clock()
                run(
                    request.groupID, waiter: id, as: .join(continuation),
                    cancelled: .join(waiter: id, .failure(.rebalanceInProgress, memberID: request.memberID))
                ) {
                    $0.join(request, waiter: id, now: now)
                }
            }
        } onCancel: {
            cancel(
                id, group: request.groupID,
                answer: .join(waiter: id, .failure(.rebalanceInProgress, memberID: request.memberID)))
        }
    }

    /// SyncGroup: the member's assignment bytes, once the leader's SyncGroup has arrived.
    package func sync(
        groupID: String, generation: Int32, memberID: String,
        assignments: [ClassicAssignment]
    ) async -> ClassicSyncResult {
        if groupID.isEmpty { return .failure(.invalidGroupID) }
        let id = reserve()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ClassicSyncResult, Never>) in
                let now = clock()
                run(
                    groupID, waiter: id, as: .sync(continuation),
                    cancelled: .sync(waiter: id, .failure(.rebalanceInProgress))
                ) { group in
                    group.sync(
                        memberID: memberID, generation: generation, assignments: assignments,
                        waiter: id, now: now)
                }
            }
        } onCancel: {
            cancel(id, group: groupID, answer: .sync(waiter: id, .failure(.rebalanceInProgress)))
        }
    }

    package func heartbeat(groupID: String, generation: Int32, memberID: String) -> ClassicGroupError {
        if groupID.isEmpty { return .invalidGroupID }
        let now = clock()
        return mutate(groupID) { group in
            (group?.heartbeat(memberID: memberID, generation: generation, now: now) ?? .unknownMemberID, [])
        }
    }

    package func leave(groupID: String, memberIDs: [String]) -> ClassicLeaveResult {
        if groupID.isEmpty { return ClassicLeaveResult(error: .invalidGroupID, members: []) }
        let now = clock()
        return mutate(groupID) { group in
            guard group != nil else {
                let errors = memberIDs.map { ClassicLeaveResult.MemberError(memberID: $0, error: .unknownMemberID) }
                return (ClassicLeaveResult(error: memberIDs.count == 1 ? .unknownMemberID : .none, members: errors), [])
            }
            let (result, actions) = group!.leave(memberIDs: memberIDs, now: now)
            return (result, actions)
        }
    }

    /// A client connection closed: every member that joined over it keeps its membership (until it leaves or its
    /// session expires) but not its protocol metadata (`ClassicGroup.forgetMetadata`).
    package func connectionClosed(_ connection: UInt64) {
        guard connection != 0 else { return }
        shell.update { state, _ in
            for groupID in Array(state.groups.keys) {
                _ = state.groups[groupID]!.forgetMetadata(connection: connection)
            }
        }
    }

    /// Whether an OffsetCommit may store offsets (`nil`: yes); see `ClassicGroup.checkCommit`. A group this
    /// coordinator does not hold accepts commits with generation < 0 and refuses the others ILLEGAL_GENERATION
    /// (Apache's answer before OffsetCommit v9).
    package func checkCommit(groupID: String, generation: Int32, memberID: String) -> ClassicGroupError? {
        let now = clock()
        return mutate(groupID) { group in
            guard group != nil else { return (generation < 0 ? nil : .illegalGeneration, []) }
            return (group!.checkCommit(memberID: memberID, generation: generation, now: now), [])
        }
    }

    /// Answers every held request COORDINATOR_NOT_AVAILABLE and every later one too, and forgets the groups
    /// (the broker is shutting down; committed offsets are in the catalog).
    package func stop() {
        shell.stop { state, resumes in
            state.stopped = true
            state.groups = [:]
            for (id, waiter) in state.waiters {
                switch waiter {
                case .join, .sync:
                    resumes.append(Resume(waiter: waiter, action: Self.unavailable(id)))
                    state.waiters[id] = nil
                case .reserved, .cancelled:
                    break
                }
            }
        }
    }

    // MARK: - Views

    /// Whether the coordinator holds the group (it has members, pending ids or a rebalance under way).
    package func holds(_ groupID: String) -> Bool {
        shell.read { $0.groups[groupID] != nil }
    }

    package func describe(_ groupID: String) -> ClassicGroupDescription? {
        shell.read { $0.groups[groupID]?.description }
    }

    /// Every group the coordinator holds, by id.
    package func liveGroups() -> [ClassicGroupListing] {
        shell.read { state in
            state.groups.values.sorted { $0.groupID < $1.groupID }.map {
                ClassicGroupListing(
                    groupID: $0.groupID, protocolType: $0.protocolType ?? "",
                    state: $0.state.rawValue, members: $0.members.count)
            }
        }
    }

    // MARK: - Internals

    private func reserve() -> UInt64 {
        shell.update { state, _ in
            let id = state.nextWaiter
            state.nextWaiter += 1
            state.waiters[id] = .reserved
            return id
        }
    }

    /// Stores the continuation of a held request, runs `body` on its group and resumes whatever it answered.
    private func run(
        _ groupID: String, waiter id: UInt64, as waiter: Waiter, cancelled: ClassicGroupAction,
        _ body: (inout ClassicGroup) -> [ClassicGroupAction]
    ) {
        shell.update { state, resumes in
            if case .cancelled = state.waiters[id] {
                state.waiters[id] = nil
                resumes.append(Resume(waiter: waiter, action: cancelled))
                return
            }
            if state.stopped {
                state.waiters[id] = nil
                resumes.append(Resume(waiter: waiter, action: Self.unavailable(id)))
                return
            }
            state.waiters[id] = waiter
            var group = state.groups[groupID] ?? ClassicGroup(groupID: groupID, settings: settings)
            let before = group.generation
            let actions = body(&group)
            if group.generation != before {
                logger.info(
                    "classic group rebalanced",
                    metadata: [
                        "group": "\(groupID)", "generation": "\(group.generation)", "members": "\(group.members.count)",
                    ])
            }
            state.groups[groupID] = group.isRemovable ? nil : group
            resumes += Self.take(actions, from: &state)
        }
    }

    /// Runs `body` on a group (nil when not held), drops the group once removable, resumes what it answered.
    private func mutate<T>(_ groupID: String, _ body: (inout ClassicGroup?) -> (T, [ClassicGroupAction])) -> T {
        shell.update { state, resumes in
            var group = state.groups[groupID]
            let (value, actions) = body(&group)
            state.groups[groupID] = (group?.isRemovable ?? true) ? nil : group
            resumes += Self.take(actions, from: &state)
            return value
        }
    }

    private func cancel(_ id: UInt64, group groupID: String, answer: ClassicGroupAction) {
        shell.update { state, resumes in
            switch state.waiters[id] {
            case .reserved?:
                state.waiters[id] = .cancelled
            case .join?, .sync?:
                let waiter = state.waiters.removeValue(forKey: id)!
                state.groups[groupID]?.cancel(waiter: id)
                resumes.append(Resume(waiter: waiter, action: answer))
            case .cancelled?, nil:
                break
            }
        }
    }

    /// COORDINATOR_NOT_AVAILABLE for a held request (`Resume` picks the join or sync form by the waiter's kind).
    private static func unavailable(_ id: UInt64) -> ClassicGroupAction {
        .join(waiter: id, .failure(.coordinatorNotAvailable, memberID: ""))
    }

    /// The waiters the actions name, removed from the table (a waiter already answered is skipped).
    private static func take(_ actions: [ClassicGroupAction], from state: inout State) -> [Resume] {
        actions.compactMap { action in
            guard let waiter = state.waiters.removeValue(forKey: action.waiter) else { return nil }
            return Resume(waiter: waiter, action: action)
        }
    }

    /// Runs every group's expiry that is due by `now`, in one pass under the lock.
    private func expireDue(now: Int64) {
        shell.update { state, resumes in
            var actions: [ClassicGroupAction] = []
            for (groupID, var group) in state.groups {
                guard let due = group.nextDeadline, due <= now else { continue }
                let before = group.generation
                let (done, expired) = group.expire(now: now)
                actions += done
                for member in expired {
                    logger.info(
                        "classic group member expired", metadata: ["group": "\(groupID)", "member": "\(member)"])
                }
                if group.generation != before {
                    logger.info(
                        "classic group rebalanced",
                        metadata: [
                            "group": "\(groupID)", "generation": "\(group.generation)",
                            "members": "\(group.members.count)",
                        ])
                }
                state.groups[groupID] = group.isRemovable ? nil : group
            }
            resumes += Self.take(actions, from: &state)
        }
    }
}

import SluiceCore

/// One Kafka *classic* consumer group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup): a value type with no I/O and
/// no clock of its own. Every method takes `now` (milliseconds) and returns what to answer.
///
/// Unlike native groups, the group leader (a client) computes the assignment; the broker only gathers the
/// members, picks a protocol and a leader, and hands the leader's assignment out. Requests that must wait (a join
/// until every member has rejoined, a follower's sync until the leader's) are held: the caller passes a `waiter`
/// token and later receives a `ClassicGroupAction` naming it. `nextDeadline` says when `expire(now:)` must run.
///
/// States follow Apache's: Empty → PreparingRebalance → CompletingRebalance → Stable (Dead is a group the
/// coordinator dropped). See `docs/KAFKA-COMPAT.md` §3 and AK `GroupMetadataManager`.
struct ClassicGroup {
    enum State: String, Sendable {
        case empty = "Empty"
        case preparingRebalance = "PreparingRebalance"
        case completingRebalance = "CompletingRebalance"
        case stable = "Stable"
        case dead = "Dead"
    }

    struct Member {
        var memberID: String
        var groupInstanceID: String?
        var clientID: String
        var clientHost: String
        var sessionTimeoutMs: Int32
        var rebalanceTimeoutMs: Int32
        var protocolType: String
        var protocols: [ClassicProtocol]
        var assignment: [UInt8] = []
        /// What `assignment` assigns, as the protocol adapter read it (for describing the group).
        var assignedPartitions: [TopicPartition] = []
        /// When the member is removed unless heard from (not while it waits in a join or sync).
        var sessionDeadline: Int64
        var joinWaiter: UInt64?
        var syncWaiter: UInt64?
        /// The connection it last joined over (0: none known).
        var connection: UInt64 = 0

        func metadata(for name: String?) -> [UInt8] {
            protocols.first { $0.name == name }?.metadata ?? []
        }

        func subscribedTopics(for name: String?) -> [String]? {
            protocols.first { $0.name == name }?.subscribedTopics
        }
    }

    /// The initial delay of a rebalance that started from Empty (Apache's `InitialDelayedJoin`).
    struct InitialDelay: Equatable {
        /// What is left of the rebalance timeout for further extensions.
        var remainingMs: Int64
        var newMemberAdded = false
    }

    let groupID: String
    let settings: ClassicGroupSettings
    var state: State = .empty
    var generation: Int32 = 0
    var protocolType: String?
    var protocolName: String?
    var leaderID: String?
    var members: [String: Member] = [:]
    /// Member ids in join order (the leader is chosen from the front).
    var memberOrder: [String] = []
    /// KIP-394: ids handed out with MEMBER_ID_REQUIRED, with when they lapse unless used.
    var pendingMembers: [String: Int64] = [:]
    /// When the join phase ends at the latest (the initial delay's step, or the rebalance timeout).
    var joinDeadline: Int64?
    var initialDelay: InitialDelay?
    /// Members that must send SyncGroup before `syncDeadline`, or be removed.
    var pendingSync: Set<String> = []
    var syncDeadline: Int64?

    init(groupID: String, settings: ClassicGroupSettings) {
        self.groupID = groupID
        self.settings = settings
    }

    /// True when the coordinator can forget the group: no member, no pending id, nothing held.
    var isRemovable: Bool { state == .empty && members.isEmpty && pendingMembers.isEmpty }

    /// The earliest time `expire(now:)` has work to do, or `nil` when nothing is timed.
    var nextDeadline: Int64? {
        var deadlines = Array(pendingMembers.values)
        for member in members.values where member.joinWaiter == nil && member.syncWaiter == nil {
            deadlines.append(member.sessionDeadline)
        }
        if let joinDeadline { deadlines.append(joinDeadline) }
        if let syncDeadline { deadlines.append(syncDeadline) }
        return deadlines.min()
    }

    /// The largest rebalance timeout among the members.
    var rebalanceTimeoutMs: Int64 { Int64(members.values.map(\.rebalanceTimeoutMs).max() ?? 0) }

    // MARK: - Heartbeat, leave, commit

    /// A member's heartbeat: NONE when Stable or CompletingRebalance at the group's generation,
    /// REBALANCE_IN_PROGRESS while PreparingRebalance (the member must rejoin).
    mutating func heartbeat(memberID: String, generation: Int32, now: Int64) -> ClassicGroupError {
        if state == .empty || state == .dead { return .unknownMemberID }
        guard members[memberID] != nil else { return .unknownMemberID }
        guard generation == self.generation else { return .illegalGeneration }
        members[memberID]!.sessionDeadline = now + Int64(members[memberID]!.sessionTimeoutMs)
        return state == .preparingRebalance ? .rebalanceInProgress : .none
    }

    /// Removes members (or pending ids); each unknown id gets UNKNOWN_MEMBER_ID. A removal starts a rebalance.
    mutating func leave(memberIDs: [String], now: Int64) -> (result: ClassicLeaveResult, actions: [ClassicGroupAction])
    {
        var actions: [ClassicGroupAction] = []
        var errors: [ClassicLeaveResult.MemberError] = []
        for id in memberIDs {
            if pendingMembers.removeValue(forKey: id) != nil {
                errors.append(.init(memberID: id, error: .none))
                actions += maybeCompleteJoin(now: now)
            } else if members[id] != nil {
                actions += removeMember(id, now: now)
                errors.append(.init(memberID: id, error: .none))
            } else {
                errors.append(.init(memberID: id, error: .unknownMemberID))
            }
        }
        // v0-v2 carry one member and answer its error at the top level.
        let top: ClassicGroupError = memberIDs.count == 1 ? errors[0].error : .none
        return (ClassicLeaveResult(error: top, members: errors), actions)
    }

    /// Whether an OffsetCommit with this generation and member may store offsets (`nil`: yes), as Apache's
    /// `ClassicGroup.validateOffsetCommit`: generation < 0 with no member id is a standalone commit, accepted only
    /// while the group is Empty; otherwise the member must be known and at the group's generation; and no commit is
    /// accepted in CompletingRebalance (the member is told to finish the rebalance first). A commit counts as a
    /// heartbeat.
    mutating func checkCommit(memberID: String, generation: Int32, now: Int64) -> ClassicGroupError? {
        if state == .dead { return .coordinatorNotAvailable }
        if generation < 0 && state == .empty { return nil }
        if generation >= 0 || !memberID.isEmpty {
            guard members[memberID] != nil else { return .unknownMemberID }
            if generation != self.generation { return .illegalGeneration }
        } else if state != .empty {
            return .unknownMemberID
        }
        if state == .completingRebalance { return .rebalanceInProgress }
        if members[memberID] != nil {
            members[memberID]!.sessionDeadline = now + Int64(members[memberID]!.sessionTimeoutMs)
        }
        return nil
    }

    // MARK: - Time

    /// Does whatever is due at `now`: lapses pending ids, removes members whose session expired or who did not
    /// sync in time, and ends a join phase whose deadline passed.
    mutating func expire(now: Int64) -> (actions: [ClassicGroupAction], expired: [String]) {
        var actions: [ClassicGroupAction] = []
        var expired: [String] = []
        for (id, deadline) in pendingMembers where deadline <= now {
            pendingMembers[id] = nil
            actions += maybeCompleteJoin(now: now)
        }
        for id in memberOrder {
            guard let member = members[id], member.joinWaiter == nil, member.syncWaiter == nil,
                member.sessionDeadline <= now
            else { continue }
            expired.append(id)
            actions += removeMember(id, now: now)
        }
        if state == .completingRebalance, let syncDeadline, syncDeadline <= now {
            for id in memberOrder where pendingSync.contains(id) {
                expired.append(id)
                actions += removeMember(id, now: now)
            }
        }
        actions += maybeCompleteJoin(now: now)
        return (actions, expired)
    }

    /// Forgets a held request whose caller went away (its task was cancelled); the member stays.
    mutating func cancel(waiter: UInt64) {
        for id in memberOrder {
            if members[id]?.joinWaiter == waiter { members[id]!.joinWaiter = nil }
            if members[id]?.syncWaiter == waiter { members[id]!.syncWaiter = nil }
        }
    }

    // MARK: - Membership changes

    /// Drops the protocol metadata of the members that joined over `connection`, which closed: they stay members
    /// until they leave or their session expires (Kafka ties membership to the session, not to a connection, so a
    /// consumer that reconnects keeps its partitions), but no longer hold the bytes they sent. The protocol names
    /// and subscribed topics stay, for choosing a protocol and describing the group; a member that rejoins sends
    /// its metadata again. Returns whether any member was changed.
    mutating func forgetMetadata(connection: UInt64) -> Bool {
        guard connection != 0 else { return false }
        var changed = false
        for id in memberOrder where members[id]?.connection == connection {
            for index in members[id]!.protocols.indices {
                members[id]!.protocols[index].metadata = []
            }
            members[id]!.connection = 0
            changed = true
        }
        return changed
    }

    /// Removes a member, answering anything it had held with UNKNOWN_MEMBER_ID, and rebalances the rest.
    mutating func removeMember(_ id: String, now: Int64) -> [ClassicGroupAction] {
        guard let member = members.removeValue(forKey: id) else { return [] }
        memberOrder.removeAll { $0 == id }
        pendingSync.remove(id)
        var actions: [ClassicGroupAction] = []
        if let waiter = member.joinWaiter {
            actions.append(.join(waiter: waiter, .failure(.unknownMemberID, memberID: id)))
        }
        if let waiter = member.syncWaiter { actions.append(.sync(waiter: waiter, .failure(.unknownMemberID))) }
        if leaderID == id { leaderID = memberOrder.first }
        return actions + rebalance(now: now)
    }

    /// Starts a rebalance unless one is under way, in which case sees whether it can finish.
    mutating func rebalance(now: Int64) -> [ClassicGroupAction] {
        switch state {
        case .empty, .stable, .completingRebalance: prepareRebalance(now: now)
        case .preparingRebalance: maybeCompleteJoin(now: now)
        case .dead: []
        }
    }

    /// Moves to PreparingRebalance: syncs still waiting are answered REBALANCE_IN_PROGRESS, and the join phase
    /// gets its deadline (the initial delay for a group that was Empty, else the largest rebalance timeout).
    mutating func prepareRebalance(now: Int64) -> [ClassicGroupAction] {
        var actions: [ClassicGroupAction] = []
        if state == .completingRebalance {
            for id in memberOrder {
                members[id]!.assignment = []
                members[id]!.assignedPartitions = []
                if let waiter = members[id]!.syncWaiter {
                    members[id]!.syncWaiter = nil
                    actions.append(.sync(waiter: waiter, .failure(.rebalanceInProgress)))
                }
            }
        }
        pendingSync = []
        syncDeadline = nil
        let delay = settings.initialRebalanceDelayMs
        if state == .empty && delay > 0 {
            initialDelay = InitialDelay(remainingMs: max(rebalanceTimeoutMs - delay, 0))
            joinDeadline = now + delay
        } else {
            initialDelay = nil
            joinDeadline = now + rebalanceTimeoutMs
        }
        state = .preparingRebalance
        return actions + maybeCompleteJoin(now: now)
    }
}

/// What the coordinator must do after a state change: answer a held request.
enum ClassicGroupAction: Equatable {
    case join(waiter: UInt64, ClassicJoinResult)
    case sync(waiter: UInt64, ClassicSyncResult)

    var waiter: UInt64 {
        switch self {
        case .join(let waiter, _), .sync(let waiter, _): waiter
        }
    }
}

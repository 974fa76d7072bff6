import SluiceCore
import SluiceProtocol

/// A change of a subscribed consumer's partitions, reported by `poll` as it applies a rebalance.
public enum RebalanceEvent: Sendable, Hashable {
    /// These partitions were given to this consumer; it reads them from the group's committed offsets.
    case assigned([TopicPartition])
    /// These partitions were taken away; their positions were committed first, unless the server had removed this
    /// member from the group (then others may own them already, and nothing was committed for them).
    case revoked([TopicPartition])
}

/// A subscribed consumer's place in its group.
struct Membership {
    var group: String
    var topics: [String]
    var memberID: String
    /// The generation of the assignment `poll` last applied: commits carry it.
    var generation: Int32
    /// The newest assignment heard from the server, applied by the next `poll`.
    var latest: MemberAssignment
    var heartbeat: Task<Void, Never>?
    var onRebalance: (@Sendable (RebalanceEvent) -> Void)?
    var lastCommit: ContinuousClock.Instant = .now
    /// When the last join or heartbeat the server answered was sent. The server restarts the member's session when
    /// it receives one, which is no earlier: so once this is older than the session timeout, the member must assume
    /// it was removed and its partitions given to others, and it fences itself no later than the server expires it.
    var lastHeard: ContinuousClock.Instant
    /// A join is on its way (after `unknown_member` or `stale_generation`): no second one is sent meanwhile.
    var rejoining = false
}

/// Consumer-group membership: the server assigns partitions; this side joins, heartbeats, and applies each new
/// assignment at the start of a `poll`, so that partitions are only ever revoked between two polls (after the
/// application processed what the previous poll returned): positions of revoked partitions are committed, then the
/// partitions are dropped, and the next heartbeat tells the server they are free for their new owner.
extension Consumer {
    /// Joins the configured group, subscribed to `topics`; from then on `poll` reads the partitions the server
    /// assigns and `onRebalance` hears of each change. Throws `.invalidArgument` without a group, `.unknownTopic`.
    public func subscribe(_ topics: [String], onRebalance: (@Sendable (RebalanceEvent) -> Void)? = nil)
        async throws(SluiceError)
    {
        guard let group = configuration.group else {
            throw SluiceError(.invalidArgument, "subscribe needs a consumer group: set ConsumerConfiguration.group")
        }
        precondition(membership == nil, "subscribe: already subscribed")
        let sent = ContinuousClock.now
        let answer = try await connection.joinGroup(JoinGroupRequest(
            group: group, clientID: configuration.clientID, sessionTimeoutMs: configuration.sessionTimeoutMs,
            topics: topics))
        membership = Membership(group: group, topics: topics, memberID: answer.memberID, generation: answer.generation,
                                latest: answer, onRebalance: onRebalance, lastHeard: sent)
        assign([])
        await applyGroupAssignment()
        membership?.heartbeat = Task { [weak self] in
            while let self, await self.heartbeatOnce() {}
        }
    }

    /// This consumer's member id in its group, once subscribed.
    public var memberID: String? { membership?.memberID }

    /// Sends one heartbeat (after waiting its interval); rejoins when the server says so. False once unsubscribed.
    func heartbeatOnce() async -> Bool {
        guard let current = membership else { return false }
        let waiting = !current.latest.pending.isEmpty
        // Pending partitions are granted as soon as their old owner lets go: ask again soon.
        let interval = waiting ? min(200, Int(current.latest.heartbeatIntervalMs)) : Int(current.latest.heartbeatIntervalMs)
        try? await Task.sleep(for: .milliseconds(max(interval, 50)))
        guard !Task.isCancelled, let member = membership else { return false }
        let owned = Set(assignment)
        let sent = ContinuousClock.now
        do throws(SluiceError) {
            let answer = try await connection.heartbeat(HeartbeatRequest(
                group: member.group, memberID: member.memberID, generation: member.latest.generation,
                owned: grouped(owned.sorted().map { ($0, ()) }) { partition, _ in partition }))
            membership?.latest = answer
            membership?.lastHeard = sent
        } catch {
            await rejoin(after: error)
        }
        return membership != nil
    }

    /// Joins again: with the same id after `.staleGeneration`; after `.unknownMember` (the server removed or forgot
    /// this member, so others may own its partitions already) it first drops every partition, committing nothing,
    /// and joins as a new member. Only one rejoin runs at a time.
    func rejoin(after error: SluiceError) async {
        guard let member = membership, !member.rejoining else { return }
        switch error.code {
        case .staleGeneration, .unknownMember, .rebalanceInProgress:
            let memberID: String
            if error.code == .unknownMember {
                losePartitions()
                memberID = ""
            } else {
                memberID = member.memberID
            }
            membership?.rejoining = true
            defer { membership?.rejoining = false }
            let sent = ContinuousClock.now
            do throws(SluiceError) {
                let answer = try await connection.joinGroup(JoinGroupRequest(
                    group: member.group, memberID: memberID, clientID: configuration.clientID,
                    sessionTimeoutMs: configuration.sessionTimeoutMs, topics: member.topics))
                guard membership != nil else { return }
                if answer.memberID != member.memberID { losePartitions() }
                membership?.memberID = answer.memberID
                membership?.latest = answer
                membership?.lastHeard = sent
            } catch {
                try? await Task.sleep(for: .milliseconds(200))
            }
        default:
            // The server is away (restarting, say): try again after a pause; the session timeout decides.
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Drops every partition at once without committing: the member is no longer in the group, so its commits
    /// would be refused and its partitions may be another member's already.
    func losePartitions() {
        // What the server granted before no longer holds either: the next `poll` must not take it back.
        membership?.latest.granted = []
        membership?.latest.pending = []
        let owned = assignment
        guard !owned.isEmpty else { return }
        assign([])
        membership?.onRebalance?(.revoked(owned.sorted()))
    }

    /// Rejoins with the same member id to learn the group's generation (the next poll applies the assignment that
    /// comes with it). False if that failed.
    func refreshGeneration() async -> Bool {
        guard let member = membership else { return false }
        let sent = ContinuousClock.now
        do throws(SluiceError) {
            let answer = try await connection.joinGroup(JoinGroupRequest(
                group: member.group, memberID: member.memberID, clientID: configuration.clientID,
                sessionTimeoutMs: configuration.sessionTimeoutMs, topics: member.topics))
            // A member the server had removed comes back under a new id, without its old partitions.
            if answer.memberID != member.memberID { losePartitions() }
            membership?.memberID = answer.memberID
            membership?.latest = answer
            membership?.generation = answer.generation
            membership?.lastHeard = sent
            return answer.memberID == member.memberID
        } catch {
            return false
        }
    }

    /// Applies the newest assignment: commits and drops revoked partitions, adds granted ones, then commits the
    /// others' positions when auto-commit is due.
    func applyGroupAssignment() async {
        guard let member = membership else { return }
        // Not heard from the server for a whole session: the member has surely been removed and its partitions
        // handed to others, so it stops reading them now rather than when it learns so.
        let fenced = ContinuousClock.now - member.lastHeard > .milliseconds(Int(configuration.sessionTimeoutMs))
        let granted = fenced ? [] : member.latest.grantedPartitions
        let current = Set(assignment)
        let revoked = current.subtracting(granted)
        let added = granted.filter { !current.contains($0) }
        membership?.generation = member.latest.generation
        if !revoked.isEmpty {
            let positions = committablePositions.filter { revoked.contains($0.key) }
            if !fenced { try? await commit(positions) }
            reassign(adding: [], removing: revoked)
            member.onRebalance?(.revoked(revoked.sorted()))
        }
        if !added.isEmpty {
            reassign(adding: added, removing: [])
            member.onRebalance?(.assigned(added))
        }
        if let interval = configuration.autoCommitIntervalMs, ContinuousClock.now - member.lastCommit >= .milliseconds(interval) {
            membership?.lastCommit = .now
            try? await commit(committablePositions)
        }
    }

    /// Commits (unless auto-commit is off) and leaves the group.
    func leaveGroup() async {
        guard let member = membership else { return }
        member.heartbeat?.cancel()
        if configuration.autoCommitIntervalMs != nil {
            try? await commit(committablePositions)
        }
        // Given up before the server hears of it, so that no new owner can start while this one still reads.
        let owned = assignment
        assign([])
        if !owned.isEmpty { member.onRebalance?(.revoked(owned.sorted())) }
        membership = nil
        try? await connection.leaveGroup(member.group, memberID: member.memberID)
    }
}

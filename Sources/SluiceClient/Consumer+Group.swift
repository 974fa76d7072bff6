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
    /// The number of the last join or heartbeat sent, and of the one whose answer is `latest`: an answer to an
    /// older request than that is stale and dropped.
    var sent: UInt64 = 0
    var answered: UInt64 = 0
    /// Whether heartbeats are held by the server (version 1); false after a server refused the version, and then
    /// they go out every `heartbeatIntervalMs`.
    var longPoll = true
    /// `latest` grants other partitions than the consumer holds: the next `poll` has work.
    var news = false
}

/// Consumer-group membership: the server assigns partitions; this side joins, heartbeats, and applies each new
/// assignment at the start of a `poll`, so that partitions are only ever revoked between two polls (after the
/// application processed what the previous poll returned): positions of revoked partitions are committed, then the
/// partitions are dropped, and a heartbeat sent at once tells the server they are free for their new owner.
///
/// Heartbeats are a long poll (heartbeat version 1): the next one goes out as soon as one is answered, and the
/// server holds it until the member's assignment changes or `heartbeatIntervalMs` passes. An answer with news
/// wakes a `poll` that is waiting (in its fetch, or idle without partitions): it returns at once, with no records,
/// and the next `poll` applies the assignment, so a consumer idle in `poll` never delays a handover.
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
        let answer = try await connection.joinGroup(
            JoinGroupRequest(
                group: group, clientID: configuration.clientID, sessionTimeoutMs: configuration.sessionTimeoutMs,
                topics: topics))
        membership = Membership(
            group: group, topics: topics, memberID: answer.memberID, generation: answer.generation,
            latest: answer, onRebalance: onRebalance, lastHeard: sent, sent: 1, answered: 1)
        assign([])
        await applyGroupAssignment()
        membership?.heartbeat = Task { [weak self] in
            while let self, await self.heartbeatOnce() {}
        }
    }

    /// This consumer's member id in its group, once subscribed.
    public var memberID: String? { membership?.memberID }

    /// The longest the server may hold a heartbeat: `heartbeatIntervalMs`, at least 100 ms.
    private var heartbeatWaitMs: Int32 { max(configuration.heartbeatIntervalMs, 100) }

    /// Sends one heartbeat, held by the server until there is news (or, to a server without held heartbeats, after
    /// waiting the interval); rejoins when the server says so. False once unsubscribed.
    func heartbeatOnce() async -> Bool {
        guard let current = membership else { return false }
        if !current.longPoll {
            let waiting = !current.latest.pending.isEmpty
            // Pending partitions are granted as soon as their old owner lets go: ask again soon.
            let interval = waiting ? min(200, Int(heartbeatWaitMs)) : Int(heartbeatWaitMs)
            try? await Task.sleep(for: .milliseconds(interval))
        }
        guard !Task.isCancelled, let member = membership else { return false }
        await sendHeartbeat(maxWaitMs: member.longPoll ? heartbeatWaitMs : nil)
        return membership != nil
    }

    /// Sends a heartbeat reporting the partitions held now and applies its answer, unless a newer one came first.
    /// `maxWaitMs` nil sends version 0 (never held).
    func sendHeartbeat(maxWaitMs: Int32?) async {
        guard let member = membership else { return }
        // What the member holds, and what it was granted and takes at its next poll: a grant not yet applied is
        // the member's all the same (the server recorded it as such), and reporting it missing would release it
        // to another member before this one has even started reading it.
        let owned = Set(assignment).union(member.latest.grantedPartitions)
        let sent = ContinuousClock.now
        let number = member.sent + 1
        membership?.sent = number
        do throws(SluiceError) {
            let answer = try await connection.heartbeat(
                HeartbeatRequest(
                    group: member.group, memberID: member.memberID, generation: member.latest.generation,
                    owned: grouped(owned.sorted().map { ($0, ()) }) { partition, _ in partition }, maxWaitMs: maxWaitMs)
            )
            heard(answer, number: number, sent: sent)
        } catch {
            if error.code == .unsupportedVersion, maxWaitMs != nil {
                // A server from before held heartbeats: heartbeat periodically instead.
                membership?.longPoll = false
                return
            }
            await rejoin(after: error)
        }
    }

    /// Takes a join's or heartbeat's answer as the newest, unless a later request was answered already; wakes a
    /// waiting `poll` when the answer grants other partitions than the consumer holds.
    func heard(_ answer: MemberAssignment, number: UInt64, sent: ContinuousClock.Instant) {
        guard let member = membership, number > member.answered else { return }
        membership?.answered = number
        membership?.latest = answer
        membership?.lastHeard = max(member.lastHeard, sent)
        if Set(answer.grantedPartitions) != Set(assignment) || answer.generation != member.generation {
            membership?.news = true
            wakePoll()
        }
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
            let number = member.sent + 1
            membership?.sent = number
            do throws(SluiceError) {
                let answer = try await connection.joinGroup(
                    JoinGroupRequest(
                        group: member.group, memberID: memberID, clientID: configuration.clientID,
                        sessionTimeoutMs: configuration.sessionTimeoutMs, topics: member.topics))
                guard membership != nil else { return }
                if answer.memberID != member.memberID { losePartitions() }
                membership?.memberID = answer.memberID
                // A join answers everything sent before it.
                let answered = max(membership?.answered ?? 0, number - 1)
                membership?.answered = answered
                heard(answer, number: number, sent: sent)
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
        let number = member.sent + 1
        membership?.sent = number
        do throws(SluiceError) {
            let answer = try await connection.joinGroup(
                JoinGroupRequest(
                    group: member.group, memberID: member.memberID, clientID: configuration.clientID,
                    sessionTimeoutMs: configuration.sessionTimeoutMs, topics: member.topics))
            // A member the server had removed comes back under a new id, without its old partitions.
            if answer.memberID != member.memberID { losePartitions() }
            membership?.memberID = answer.memberID
            let answered = max(membership?.answered ?? 0, number - 1)
            membership?.answered = answered
            heard(answer, number: number, sent: sent)
            membership?.generation = answer.generation
            return answer.memberID == member.memberID
        } catch {
            return false
        }
    }

    /// Applies the newest assignment: commits and drops revoked partitions, adds granted ones, then commits the
    /// others' positions when auto-commit is due.
    func applyGroupAssignment() async {
        guard let member = membership else { return }
        membership?.news = false
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
        // Released at once, not at the next heartbeat, so that the new owners start now.
        if !revoked.isEmpty, !fenced { await sendHeartbeat(maxWaitMs: member.longPoll ? 0 : nil) }
        if let interval = configuration.autoCommitIntervalMs,
            ContinuousClock.now - member.lastCommit >= .milliseconds(interval)
        {
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

import SluiceCore

extension ClassicGroup {
    /// A fresh member id as Apache makes them: "clientId-UUID".
    static func randomMemberID(clientID: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        let groups = [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }
        return "\(clientID)-\(groups.joined(separator: "-"))"
    }

    /// Checks a join on its own: the group id and the session timeout's bounds.
    static func validate(_ request: ClassicJoin, settings: ClassicGroupSettings) -> ClassicGroupError? {
        if request.groupID.isEmpty { return .invalidGroupID }
        if !(settings.minSessionTimeoutMs...settings.maxSessionTimeoutMs).contains(request.sessionTimeoutMs) {
            return .invalidSessionTimeout
        }
        return nil
    }

    /// Handles a JoinGroup. The request's own answer is the action naming `waiter`; when none does, it is held
    /// until the join phase completes.
    ///
    /// An empty member id gets a fresh id (`makeMemberID`): with `requireKnownMemberID` (v4+) it is recorded as
    /// pending and answered MEMBER_ID_REQUIRED; before v4 the member is added at once. A known member rejoining
    /// a Stable group with unchanged protocols (and not the leader) is answered at once with the current
    /// generation; anything else starts or joins a rebalance.
    mutating func join(
        _ request: ClassicJoin, waiter: UInt64, now: Int64,
        makeMemberID: (String) -> String = { randomMemberID(clientID: $0) }
    ) -> [ClassicGroupAction] {
        func fail(_ error: ClassicGroupError, _ id: String = request.memberID) -> [ClassicGroupAction] {
            [.join(waiter: waiter, .failure(error, memberID: id))]
        }
        if state == .dead { return fail(.coordinatorNotAvailable) }
        if let error = Self.validate(request, settings: settings) { return fail(error) }
        if !supports(request) { return fail(.inconsistentGroupProtocol) }
        if metadataBytes(besides: request.memberID) + Self.metadataBytes(request.protocols)
            > settings.maxGroupMetadataBytes
        {
            return fail(.groupMaxSizeReached)
        }
        if request.memberID.isEmpty {
            let id = makeMemberID(request.clientID)
            if request.requireKnownMemberID {
                pendingMembers[id] = now + Int64(request.sessionTimeoutMs)
                return fail(.memberIDRequired, id)
            }
            return addMember(id, request, waiter: waiter, now: now)
        }
        if pendingMembers.removeValue(forKey: request.memberID) != nil {
            return addMember(request.memberID, request, waiter: waiter, now: now)
        }
        guard let member = members[request.memberID] else { return fail(.unknownMemberID) }
        let unchanged = member.protocols == request.protocols
        switch state {
        case .completingRebalance where unchanged, .stable where unchanged && request.memberID != leaderID:
            // The previous answer was lost (or a follower rejoins for nothing): tell it again.
            members[request.memberID]!.sessionDeadline = now + Int64(request.sessionTimeoutMs)
            return [.join(waiter: waiter, result(for: request.memberID))]
        case .preparingRebalance, .completingRebalance, .stable:
            return updateMember(request, waiter: waiter, now: now)
        case .empty, .dead:
            return fail(.unknownMemberID)
        }
    }

    /// Bytes of protocol metadata the members hold, but for `memberID`'s.
    func metadataBytes(besides memberID: String) -> Int {
        members.values.reduce(0) { $1.memberID == memberID ? $0 : $0 + Self.metadataBytes($1.protocols) }
    }

    static func metadataBytes(_ protocols: [ClassicProtocol]) -> Int {
        protocols.reduce(0) { $0 + $1.name.utf8.count + $1.metadata.count }
    }

    /// Whether the request's protocol type and protocols fit the other members (Apache's `supportsProtocols`).
    func supports(_ request: ClassicJoin) -> Bool {
        if request.protocolType.isEmpty || request.protocols.isEmpty { return false }
        let others = members.values.filter { $0.memberID != request.memberID }
        if others.isEmpty { return true }
        if others.contains(where: { $0.protocolType != request.protocolType }) { return false }
        return request.protocols.contains { offered in
            others.allSatisfy { member in member.protocols.contains { $0.name == offered.name } }
        }
    }

    private mutating func addMember(_ id: String, _ request: ClassicJoin, waiter: UInt64, now: Int64)
        -> [ClassicGroupAction]
    {
        members[id] = Member(
            memberID: id, groupInstanceID: request.groupInstanceID, clientID: request.clientID,
            clientHost: request.clientHost, sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: request.rebalanceTimeoutMs, protocolType: request.protocolType,
            protocols: request.protocols, sessionDeadline: now + Int64(request.sessionTimeoutMs), joinWaiter: waiter,
            connection: request.connection)
        memberOrder.append(id)
        if leaderID == nil { leaderID = id }
        // A member arriving during the initial delay extends it (once per delay, within the rebalance timeout).
        if state == .preparingRebalance, initialDelay != nil { initialDelay!.newMemberAdded = true }
        return rebalance(now: now)
    }

    private mutating func updateMember(_ request: ClassicJoin, waiter: UInt64, now: Int64) -> [ClassicGroupAction] {
        let id = request.memberID
        var actions: [ClassicGroupAction] = []
        if let old = members[id]!.joinWaiter {
            // A second join from the same member (its first connection is gone): only the newest is answered.
            actions.append(.join(waiter: old, .failure(.rebalanceInProgress, memberID: id)))
        }
        members[id]!.clientID = request.clientID
        members[id]!.clientHost = request.clientHost
        members[id]!.sessionTimeoutMs = request.sessionTimeoutMs
        members[id]!.rebalanceTimeoutMs = request.rebalanceTimeoutMs
        members[id]!.protocols = request.protocols
        members[id]!.connection = request.connection
        members[id]!.sessionDeadline = now + Int64(request.sessionTimeoutMs)
        members[id]!.joinWaiter = waiter
        return actions + rebalance(now: now)
    }

    /// Completes the join phase when it may: after the initial delay (extended while members keep arriving), or
    /// once every member has rejoined and no handed-out id is pending, or at the rebalance deadline.
    mutating func maybeCompleteJoin(now: Int64) -> [ClassicGroupAction] {
        guard state == .preparingRebalance else { return [] }
        let timedOut = joinDeadline.map { now >= $0 } ?? true
        if var delay = initialDelay {
            guard timedOut else { return [] }
            if delay.newMemberAdded && delay.remainingMs > 0 {
                let step = min(settings.initialRebalanceDelayMs, delay.remainingMs)
                delay.remainingMs = max(delay.remainingMs - settings.initialRebalanceDelayMs, 0)
                delay.newMemberAdded = false
                initialDelay = delay
                joinDeadline = now + step
                return []
            }
        } else {
            let allJoined = members.values.allSatisfy { $0.joinWaiter != nil } && pendingMembers.isEmpty
            guard allJoined || timedOut else { return [] }
        }
        return completeJoin(now: now)
    }

    /// Ends the join phase: members that did not rejoin are dropped, the generation moves on, a protocol and a
    /// leader are chosen, and every held join is answered (the leader with every member's metadata).
    private mutating func completeJoin(now: Int64) -> [ClassicGroupAction] {
        for id in memberOrder where members[id]?.joinWaiter == nil {
            members[id] = nil
            pendingSync.remove(id)
        }
        memberOrder.removeAll { members[$0] == nil }
        initialDelay = nil
        joinDeadline = nil
        generation += 1
        guard let first = memberOrder.first else {
            state = .empty
            leaderID = nil
            protocolType = nil
            protocolName = nil
            return []
        }
        if leaderID.flatMap({ members[$0] }) == nil { leaderID = first }
        protocolType = members[leaderID!]!.protocolType
        protocolName = selectProtocol()
        state = .completingRebalance
        pendingSync = Set(memberOrder)
        syncDeadline = now + rebalanceTimeoutMs
        var actions: [ClassicGroupAction] = []
        for id in memberOrder {
            let waiter = members[id]!.joinWaiter!
            members[id]!.joinWaiter = nil
            members[id]!.sessionDeadline = now + Int64(members[id]!.sessionTimeoutMs)
            actions.append(.join(waiter: waiter, result(for: id)))
        }
        return actions
    }

    /// The protocol every member supports that most members prefer; ties go to the leader's preference.
    func selectProtocol() -> String? {
        guard let leader = leaderID.flatMap({ members[$0] }) else { return nil }
        let all = memberOrder.compactMap { members[$0] }
        let candidates = leader.protocols.map(\.name).filter { name in
            all.allSatisfy { member in member.protocols.contains { $0.name == name } }
        }
        guard !candidates.isEmpty else { return leader.protocols.first?.name }
        var votes: [String: Int] = [:]
        for member in all {
            if let vote = member.protocols.first(where: { candidates.contains($0.name) }) {
                votes[vote.name, default: 0] += 1
            }
        }
        let most = votes.values.max() ?? 0
        return candidates.first { votes[$0] == most }
    }

    /// The current generation's JoinGroup answer for a member.
    func result(for id: String) -> ClassicJoinResult {
        let everyone =
            id == leaderID
            ? memberOrder.compactMap { members[$0] }.map {
                ClassicJoinResult.Member(
                    memberID: $0.memberID, groupInstanceID: $0.groupInstanceID,
                    metadata: $0.metadata(for: protocolName))
            }
            : []
        return ClassicJoinResult(
            error: .none, generation: generation, protocolType: protocolType,
            protocolName: protocolName, leaderID: leaderID ?? "", memberID: id, members: everyone)
    }
}

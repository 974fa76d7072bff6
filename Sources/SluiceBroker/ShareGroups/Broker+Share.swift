import Dispatch
import SluiceCore
import SluiceStorage

/// Share groups (KIP-932, "queues for Kafka"), in domain terms: membership, share fetch with acquisition under a
/// lock, per-record acknowledgement, group settings, describe, reset and delete. See docs/ARCHITECTURE.md, "Share
/// groups".
extension Broker {
    /// A share-group heartbeat: joins (`memberEpoch` 0; an empty `memberID` gets a fresh id chosen by the broker),
    /// stays alive, changes the subscription (`topics` not `nil`) or leaves (`leaving`, which releases the member's
    /// records at once). A member id the group does not hold, at an epoch above 0, is `unknownMember`.
    ///
    /// `sessionTimeoutMs` (when above 0) overrides the group's `share.session.timeout.ms` for this member. A
    /// member's first heartbeat makes the group's state on every partition of its topics (where
    /// `share.auto.offset.reset` says) before it is answered, so that what is produced afterwards is the group's.
    package func shareGroupHeartbeat(
        group: String, memberID: String, memberEpoch: Int32 = 0, clientID: String = "", topics: [String]?,
        leaving: Bool = false, sessionTimeoutMs: Int32? = nil
    ) async throws(SluiceError) -> ShareMemberAssignment {
        try checkRunning()
        if !leaving { try checkShareGroupKind(group) }
        var settings = try await shareGroupConfig(group)
        if let timeout = sessionTimeoutMs, timeout > 0 {
            guard ShareGroupConfig.sessionTimeoutRange.contains(Int64(timeout)) else {
                throw SluiceError(
                    .invalidArgument,
                    "session timeout \(timeout) ms is outside \(ShareGroupConfig.sessionTimeoutRange) ms")
            }
            settings.sessionTimeoutMs = timeout
        }
        if let topics, !leaving {
            let existing = topics.filter {
                if case .success = partitionCounts([$0]).first?.result { return true }
                return false
            }
            try await registerShareGroup(group, topics: existing)
        }
        let answer = try shareCoordinator.heartbeat(
            group: group, memberID: memberID, memberEpoch: memberEpoch, clientID: clientID, topics: topics,
            leaving: leaving, settings: settings)
        if !leaving {
            await initializeShareState(
                group: group, topics: Array(Set(answer.assignment.map(\.topic))).sorted(), config: settings)
        }
        return answer
    }

    /// The kind of group an id names, `nil` when none: a share group (members, settings or state), a Kafka
    /// classic group, or a native consumer group (members or committed offsets).
    package func groupType(_ group: String) async throws(SluiceError) -> GroupType? {
        if try await isShareGroup(group) { return .share }
        if classicGroups.holds(group) { return .classic }
        if groups.hasMembers(group) { return .consumer }
        return try await groups().contains(group) ? .consumer : nil
    }

    /// Applies `request.acknowledgements`, then acquires available records of `request.partitions` for the member,
    /// under a lock of the group's `share.record.lock.duration.ms`, recording each acquisition (its delivery count)
    /// durably before answering. When nothing can be acquired it waits up to `maxWaitMs`, woken by new records, a
    /// release, a lock expiring or a delay coming due. `completion` runs once, on a broker thread: a failure for
    /// the whole request (`unknownMember`), otherwise per partition.
    package func shareFetch(
        _ request: ShareFetchRequest, completion: @escaping @Sendable (Result<ShareFetchResponse, SluiceError>) -> Void
    ) {
        shareFetchRun(request, completion: completion)
    }

    /// `shareFetch(_:completion:)` for async callers.
    package func shareFetch(_ request: ShareFetchRequest) async throws(SluiceError) -> ShareFetchResponse {
        let result: Result<ShareFetchResponse, SluiceError> = await withCheckedContinuation { continuation in
            shareFetch(request) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Applies acknowledgements (accept, release with an optional delay, reject, renew) of records the member
    /// acquired. Each partition's are applied together or not at all; answered once durable. Records not acquired
    /// by this member, offsets outside what was delivered, or a stale member are refused with clear errors and
    /// change nothing.
    package func shareAcknowledge(
        group: String, memberID: String, acknowledgements: [ShareAcknowledgement],
        completion: @escaping @Sendable (Result<[ShareAcknowledgeResult], SluiceError>) -> Void
    ) {
        shareAcknowledgeRun(
            group: group, memberID: memberID, acknowledgements: acknowledgements, completion: completion)
    }

    /// `shareAcknowledge(group:memberID:acknowledgements:completion:)` for async callers.
    package func shareAcknowledge(group: String, memberID: String, acknowledgements: [ShareAcknowledgement])
        async throws(SluiceError) -> [ShareAcknowledgeResult]
    {
        let result: Result<[ShareAcknowledgeResult], SluiceError> = await withCheckedContinuation { continuation in
            shareAcknowledge(group: group, memberID: memberID, acknowledgements: acknowledgements) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }

    /// Sets and removes (back to their defaults) share-group settings, by Kafka's names
    /// (`ShareGroupConfig.Key`); validated as a whole first (`invalidArgument` naming the key), then stored in the
    /// catalog. Works before the group's first member joins: it makes the group a share group.
    @discardableResult
    package func alterGroupConfig(group: String, set: [String: String], remove: [String] = [])
        async throws(SluiceError) -> [ConfigEntry]
    {
        try checkRunning()
        if group.isEmpty { throw SluiceError(.invalidArgument, "group id is empty") }
        try checkShareGroupKind(group)
        var config = try await shareGroupConfig(group)
        for (key, value) in set { try config.set(key, value) }
        for key in remove { try config.remove(key) }
        let stored = Self.storedEntries(config)
        try await admin { store throws(SluiceError) in
            try store.catalog.setShareGroupConfig(group: group, stored, now: self.clocks.wall())
        }
        shareSettings.withLock { $0[group] = config }
        return config.entries
    }

    /// A group's share settings, every key with its value (defaults included). `unknownGroup` when the id names no
    /// share group (none with settings, members or state).
    package func groupConfig(group: String) async throws(SluiceError) -> [ConfigEntry] {
        guard try await isShareGroup(group) else {
            throw SluiceError(.unknownGroup, "no share group '\(group)'")
        }
        return try await shareGroupConfig(group).entries
    }

    /// The share group's members and, per partition of its topics, start offset, records in flight, acquired,
    /// available, delayed and dead-lettered.
    package func describeShareGroup(_ group: String) async throws(SluiceError) -> ShareGroupDescription {
        try await describeShareGroupRun(group)
    }

    /// Moves a share group's start offset on every partition of `topic` (forgetting what was in flight there).
    /// Refused with `groupNotEmpty` while the group has members, as Kafka does.
    package func resetShareGroupOffsets(group: String, topic: String, to reset: OffsetReset)
        async throws(SluiceError) -> [ShareStartOffset]
    {
        try await resetShareGroupRun(group: group, topic: topic, to: reset)
    }

    /// Forgets a share group: its settings and its state in every topic. Refused with `groupNotEmpty` while it
    /// has members; `unknownGroup` when there is no such share group.
    package func deleteShareGroup(_ group: String) async throws(SluiceError) {
        try await deleteShareGroupRun(group)
    }

    /// Whether the id names a share group: one with members, settings or state.
    package func isShareGroup(_ group: String) async throws(SluiceError) -> Bool {
        if shareCoordinator.hasMembers(group) { return true }
        return try await knownShareGroups().contains(group)
    }

    /// Every group of every kind, with its type: consumer (native), classic (Kafka) or share.
    package func listGroupsWithType() async throws(SluiceError) -> [GroupListing] {
        var listings: [String: GroupListing] = [:]
        for entry in try await listGroups() {
            let type: GroupType = classicGroups.holds(entry.group) ? .classic : .consumer
            listings[entry.group] = GroupListing(
                group: entry.group, type: type, state: entry.state, members: entry.members)
        }
        let live = shareCoordinator.liveGroups()
        for group in try await knownShareGroups().union(live.keys) {
            let members = live[group] ?? 0
            listings[group] = GroupListing(
                group: group, type: .share, state: members > 0 ? .stable : .empty, members: members)
        }
        return listings.values.sorted { $0.group < $1.group }
    }

    // MARK: - Settings and registration

    /// The group's settings (cached from the catalog).
    func shareGroupConfig(_ group: String) async throws(SluiceError) -> ShareGroupConfig {
        if let cached = shareSettings.withLock({ $0[group] }) { return cached }
        let stored = try await admin { store throws(SluiceError) in try store.catalog.shareGroupConfig(group: group) }
        let config = ShareGroupConfig(stored: stored ?? [:])
        shareSettings.withLock { $0[group] = $0[group] ?? config }
        return config
    }

    /// The settings of a group, from the cache only (for work that cannot wait: timers, releases).
    func cachedShareGroupConfig(_ group: String) -> ShareGroupConfig {
        shareSettings.withLock { $0[group] } ?? ShareGroupConfig()
    }

    static func storedEntries(_ config: ShareGroupConfig) -> [String: String] {
        let defaults = ShareGroupConfig().entries
        var stored: [String: String] = [:]
        for (entry, fallback) in zip(config.entries, defaults) where entry.value != fallback.value {
            stored[entry.key] = entry.value ?? ""
        }
        return stored
    }

    /// Records in the catalog that `group` is a share group reading `topics` (once per group and topic).
    func registerShareGroup(_ group: String, topics: [String]) async throws(SluiceError) {
        let known = shareTopics.withLock { $0[group] }
        if let known, topics.allSatisfy(known.contains) { return }
        let now = clocks.wall()
        let all = try await admin { store throws(SluiceError) in
            try store.catalog.registerShareGroup(group, topics: topics, now: now)
            return try store.catalog.shareGroupTopics(group)
        }
        shareTopics.withLock { $0[group] = Set(all) }
    }

    /// Share groups the catalog knows (with settings or having read a topic).
    func knownShareGroups() async throws(SluiceError) -> Set<String> {
        Set(try await admin { store throws(SluiceError) in try store.catalog.shareGroups() })
    }

    /// A group id serves one kind of group at a time.
    func checkShareGroupKind(_ group: String) throws(SluiceError) {
        if classicGroups.holds(group) || groups.hasMembers(group) {
            throw SluiceError(
                .invalidArgument, "group '\(group)' is a consumer group with members; use another id for a share group")
        }
    }
}

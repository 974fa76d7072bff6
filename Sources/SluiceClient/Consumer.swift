import NIOCore
import NIOPosix
import SluiceCore
import SluiceProtocol

/// Where `Consumer.seek(_:to:)` moves a partition's position.
public enum SeekPosition: Sendable, Hashable {
    /// The first record still stored.
    case beginning
    /// The next record to be written.
    case end
    /// This offset (checked on the next poll; out of range applies `autoOffsetReset`).
    case offset(Int64)
    /// The first record whose timestamp is at or after this time, in ms since the Unix epoch (the end if none is).
    case timestamp(Int64)
}

/// Reads records from assigned partitions with long-polling fetches, on a connection of its own.
///
/// Each partition has a position: the offset of the next record to return. A partition that was not sought starts,
/// on the first poll, at the group's committed offset (when `group` is set and one exists), else where
/// `autoOffsetReset` says; a position found out of range (e.g. removed by retention) is reset the same way. Positions
/// move past the records `poll` returns; `commit()` stores them for the group. Calls are serialized by the actor;
/// do not poll from two tasks at once.
public actor Consumer {
    public nonisolated let configuration: ConsumerConfiguration
    private let client: SluiceClient
    private var assigned: [TopicPartition] = []
    private var positions: [TopicPartition: Int64] = [:]
    /// Where the next fetch starts in `assigned`, so that no partition always comes last in the byte budget.
    private var rotation = 0
    /// Group membership, once `subscribe` joined a group.
    var membership: Membership?
    /// The fetch sent ahead when the last poll returned records (see `ConsumerConfiguration.prefetch`).
    private var prefetched: Prefetch?
    /// What a waiting `poll` awaits (its fetch's answer, or its idle wait); completed early with `Self.woken` when
    /// a heartbeat brings news of the group.
    private var wakeTarget: PendingResponse?
    /// Stands for "woken" in place of a fetch's answer: no fetch is ever answered with it.
    private static let woken = Response.leaveGroup(LeaveGroupResponse())

    /// A fetch on its way, with the positions it was sent for.
    private struct Prefetch {
        var response: PendingResponse
        var fetchedAt: [TopicPartition: Int64]
        var maxWaitMs: Int
    }

    init(client: SluiceClient, configuration: ConsumerConfiguration) {
        self.client = client
        self.configuration = configuration
    }

    /// Connects a consumer to the server listening on `socketPath`; throws `.connectionClosed` if none does.
    public static func connect(
        socketPath: String, configuration: ConsumerConfiguration = ConsumerConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(SluiceError) -> Consumer {
        Consumer(
            client: try await SluiceClient.connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup),
            configuration: configuration)
    }

    /// Closes the connection. A subscribed consumer first commits its positions (unless auto-commit is off) and
    /// leaves its group, so its partitions move at once; an assigned one does not commit.
    public func close() async {
        await leaveGroup()
        await client.close()
    }

    var connection: SluiceClient { client }

    // MARK: - Assignment and positions

    /// Reads from exactly these partitions from now on. Partitions still assigned keep their positions.
    public func assign(_ partitions: [TopicPartition]) {
        var seen: Set<TopicPartition> = []
        assigned = partitions.filter { seen.insert($0).inserted }
        positions = positions.filter { seen.contains($0.key) }
        rotation = 0
    }

    public var assignment: [TopicPartition] { assigned }

    /// Moves an assigned partition's position; `.beginning`, `.end` and `.timestamp` ask the server at once.
    ///
    /// Throws `.unknownTopic` or `.unknownPartition` from that lookup.
    public func seek(_ tp: TopicPartition, to position: SeekPosition) async throws(SluiceError) {
        precondition(assigned.contains(tp), "seek(\(tp)): the partition is not assigned")
        let spec: OffsetSpec
        switch position {
        case .offset(let offset):
            positions[tp] = offset
            return
        case .beginning: spec = .earliest
        case .end: spec = .latest
        case .timestamp(let millis): spec = .timestamp(max(millis, 0))
        }
        let found = try await client.listOffsets(topic: tp.topic, partition: tp.partition, spec: spec)
        positions[tp] = found.offset
    }

    /// The offset of the next record `poll` returns for the partition; `nil` until known (before the first poll).
    public func position(_ tp: TopicPartition) -> Int64? {
        positions[tp]
    }

    // MARK: - Polling

    /// Returns the next records of the assigned partitions, waiting up to `maxWaitMs` for some to arrive (then
    /// possibly none), and moves positions past them. Records of a partition come in offset order.
    ///
    /// Throws `.unknownTopic` or `.unknownPartition` if an assigned partition no longer exists (positions stay),
    /// and `.connectionClosed` if the connection dropped (the next poll reconnects).
    ///
    /// A subscribed consumer applies the group's newest assignment first; when news of the group arrives while it
    /// waits, it returns at once with no records, and the next poll applies the news.
    public func poll(maxWaitMs: Int = 500) async throws(SluiceError) -> [ConsumedRecord] {
        if membership != nil { await applyGroupAssignment() }
        if assigned.isEmpty {
            let idle = PendingResponse()
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(maxWaitMs))
                idle.complete(.success(Self.woken))
            }
            _ = await withTaskCancellationHandler {
                await awaitUnlessWoken(idle)
            } onCancel: {
                idle.complete(.success(Self.woken))
            }
            timer.cancel()
            return []
        }
        try await resolveMissingPositions()
        let response: FetchResponse
        let fetchedAt: [TopicPartition: Int64]
        let pending: PendingResponse
        if let ahead = prefetched.take(), ahead.maxWaitMs <= maxWaitMs, ahead.fetchedAt.count == assigned.count,
            assigned.allSatisfy({ positions[$0] != nil && positions[$0] == ahead.fetchedAt[$0] })
        {
            fetchedAt = ahead.fetchedAt
            pending = ahead.response
        } else {
            let (request, at) = nextFetch(maxWaitMs: maxWaitMs)
            fetchedAt = at
            pending = PendingResponse.send(.fetch(request), on: client.handle)
        }
        switch try await awaitUnlessWoken(pending).get() {
        case .fetch(let answer): response = answer
        // Woken: the fetch's answer, when it comes, is dropped.
        case Self.woken: return []
        default: throw SluiceClient.unexpected(.fetch)
        }
        let records = try apply(response, fetchedAt: fetchedAt)
        if configuration.prefetch, !records.isEmpty {
            let (request, at) = nextFetch(maxWaitMs: maxWaitMs)
            prefetched = Prefetch(
                response: PendingResponse.send(.fetch(request), on: client.handle),
                fetchedAt: at, maxWaitMs: maxWaitMs)
        }
        return records
    }

    /// Waits for `pending` unless news of the group comes first (or came already): then answers `Self.woken`.
    private func awaitUnlessWoken(_ pending: PendingResponse) async -> Result<Response, SluiceError> {
        if membership?.news == true { return .success(Self.woken) }
        wakeTarget = pending
        defer { if wakeTarget === pending { wakeTarget = nil } }
        return await pending.value()
    }

    /// Ends the wait of a `poll` for its fetch or idle time (it returns no records): news of the group came, or
    /// the command-line consumer is told to stop.
    package func wakePoll() {
        wakeTarget?.complete(.success(Self.woken))
        wakeTarget = nil
    }

    /// The fetch for the current positions, and the positions it asks from.
    private func nextFetch(maxWaitMs: Int) -> (FetchRequest, [TopicPartition: Int64]) {
        let order = rotated(assigned)
        let fetched: [(TopicPartition, Int64)] = order.compactMap { tp in positions[tp].map { (tp, $0) } }
        let request = FetchRequest(
            maxWaitMs: Int32(clamping: max(maxWaitMs, 0)), minBytes: configuration.minBytes,
            maxBytes: configuration.maxBytes,
            topics: grouped(fetched) { partition, offset in
                FetchRequest.Partition(
                    partition: partition, offset: offset, partitionMaxBytes: configuration.partitionMaxBytes)
            })
        return (request, Dictionary(fetched, uniquingKeysWith: { first, _ in first }))
    }

    private func rotated(_ partitions: [TopicPartition]) -> [TopicPartition] {
        guard partitions.count > 1 else { return partitions }
        let start = rotation % partitions.count
        rotation = start + 1
        return Array(partitions[start...] + partitions[..<start])
    }

    /// Moves positions past the returned records and resets those out of range; throws the first partition error
    /// that polling again would not cure, before moving anything.
    private func apply(_ response: FetchResponse, fetchedAt: [TopicPartition: Int64]) throws(SluiceError)
        -> [ConsumedRecord]
    {
        for topic in response.topics {
            for partition in topic.partitions {
                if let error = partition.error, error.code != .offsetOutOfRange, !error.code.isRetriable {
                    throw error
                }
            }
        }
        var records: [ConsumedRecord] = []
        for topic in response.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic: topic.name, partition: partition.partition)
                // Skip answers for partitions unassigned or sought while the fetch was out.
                guard let from = fetchedAt[tp], positions[tp] == from else { continue }
                if partition.error?.code == .offsetOutOfRange {
                    positions[tp] =
                        configuration.autoOffsetReset == .earliest
                        ? partition.logStartOffset : partition.highWatermark
                    continue
                }
                guard partition.error == nil else { continue }
                for record in partition.records where record.offset >= from {
                    records.append(ConsumedRecord(topic: topic.name, partition: partition.partition, record: record))
                }
                if let last = partition.records.last, last.offset >= from { positions[tp] = last.offset + 1 }
            }
        }
        return records
    }

    /// Gives every assigned partition without a position one: the group's committed offset, else the reset policy.
    private func resolveMissingPositions() async throws(SluiceError) {
        var missing = assigned.filter { positions[$0] == nil }
        guard !missing.isEmpty else { return }
        if let group = configuration.group {
            let topics = Array(Set(missing.map(\.topic)))
            for committed in try await client.committedOffsets(group: group, topics: topics) {
                let tp = TopicPartition(topic: committed.topic, partition: committed.partition)
                if missing.contains(tp), positions[tp] == nil { positions[tp] = committed.offset }
            }
            missing = missing.filter { positions[$0] == nil }
        }
        guard !missing.isEmpty else { return }
        let spec: OffsetSpec = configuration.autoOffsetReset == .earliest ? .earliest : .latest
        let found = try await client.listOffsets(missing.map { ($0, spec) })
        for tp in missing where positions[tp] == nil {
            if let offset = found[tp]?.offset { positions[tp] = offset }
        }
    }

    // MARK: - Committing

    /// Commits the position of every assigned partition that has one, for the configured group.
    ///
    /// Throws `.invalidArgument` when no group is configured, else the first partition error.
    public func commit() async throws(SluiceError) {
        var offsets: [TopicPartition: Int64] = [:]
        for tp in assigned { offsets[tp] = positions[tp] }
        try await commit(offsets)
    }

    /// Commits these offsets (each the next offset to consume) for the configured group.
    ///
    /// Throws `.invalidArgument` when no group is configured, else the first partition error.
    public func commit(_ offsets: [TopicPartition: Int64]) async throws(SluiceError) {
        guard let group = configuration.group else {
            throw SluiceError(.invalidArgument, "no consumer group is configured, so there is nothing to commit to")
        }
        guard !offsets.isEmpty else { return }
        let sorted = offsets.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
        let entries = sorted.map { CommittedOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
        do throws(SluiceError) {
            try await client.commitOffsets(
                group: group, memberID: membership?.memberID ?? "", generation: membership?.generation, entries)
        } catch {
            // The server no longer holds this member: drop its partitions, committing nothing, and join anew.
            if error.code == .unknownMember, membership != nil {
                await rejoin(after: error)
                throw error
            }
            // A rebalance moved the group to a new generation since this member last heard: the member still owns
            // its partitions until it lets them go, so learn the generation and commit again, once.
            guard error.code == .staleGeneration, membership != nil, await refreshGeneration() else { throw error }
            try await client.commitOffsets(
                group: group, memberID: membership?.memberID ?? "", generation: membership?.generation, entries)
        }
    }

    /// The positions of the assigned partitions, as `commit()` would store them.
    var committablePositions: [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for tp in assigned { offsets[tp] = positions[tp] }
        return offsets
    }

    /// Changes the assignment as a group rebalance says: drops `revoked` (and their positions), adds `added`.
    func reassign(adding added: [TopicPartition], removing revoked: Set<TopicPartition>) {
        assign(assigned.filter { !revoked.contains($0) } + added)
    }
}

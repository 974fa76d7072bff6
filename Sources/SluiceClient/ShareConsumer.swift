import NIOCore
import NIOPosix
import SluiceCore
import SluiceProtocol

/// What a share-group member does with a record it was given.
public enum ShareAcknowledgement: Sendable, Hashable {
    /// Done: the group never delivers the record again.
    case accept
    /// Give it back: it is delivered again (to any member) once `delayMs` milliseconds have passed (0: at once).
    /// Its delivery count is kept, so a record released too often reaches the group's
    /// `share.delivery.count.limit` and is archived (and dead-lettered).
    case release(delayMs: Int32 = 0)
    /// Unprocessable: archived at once, and copied to the group's dead-letter topic when it has one.
    case reject
}

/// A record a share consumer acquired: where it came from, the stored record, and how often it was delivered.
public struct ShareRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var record: Record
    /// 1 on its first delivery; more when an earlier delivery was released, or its lock expired.
    public var deliveryCount: Int16

    public init(topic: String, partition: Int32, record: Record, deliveryCount: Int16) {
        self.topic = topic
        self.partition = partition
        self.record = record
        self.deliveryCount = deliveryCount
    }

    public var offset: Int64 { record.offset }
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// How a share consumer behaves.
public struct ShareConsumerConfiguration: Sendable, Hashable {
    /// Free text naming the client; the server makes member ids from it.
    public var clientID: String = "sluice-swift"
    /// The most records one `poll` acquires.
    public var maxRecords: Int32 = 500
    /// The most record bytes one `poll` returns (its first record excepted).
    public var maxBytes: Int32 = 16 << 20

    public init(clientID: String = "sluice-swift", maxRecords: Int32 = 500, maxBytes: Int32 = 16 << 20) {
        self.clientID = clientID
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
    }
}

/// A member of a share group (a queue on the log): every member may read every partition of the group's topics,
/// and the server hands each record to one member at a time, under a lock (`share.record.lock.duration.ms`).
///
/// `poll` acquires records; `acknowledge` records what to do with each (accept, release, reject) and `renew`
/// extends a lock. Acknowledgements are batched: they travel with the next `poll` (applied before it acquires
/// more) or with `commit()`, which waits until the server has stored them. A record neither acknowledged nor
/// renewed before its lock expires is delivered again, to any member, with its delivery count raised; so is every
/// record the member holds when it closes or its session ends.
///
/// The member heartbeats in the background every `heartbeatIntervalMs` the server asks for, and joins again
/// (with a new member id) if the server forgot it. Calls are serialized by the actor.
public actor ShareConsumer {
    public nonisolated let group: String
    public nonisolated let topics: [String]
    public nonisolated let configuration: ShareConsumerConfiguration
    private let client: SluiceClient
    private var memberID = ""
    private var memberEpoch: Int32 = 0
    private var assignment: [TopicPartitions<Int32>] = []
    private var heartbeatIntervalMs: Int32 = 5_000
    private var heartbeat: Task<Void, Never>?
    /// Acknowledgements not sent yet, per partition, as runs in the order given.
    private var pending: [TopicPartition: [AcknowledgementBatch]] = [:]
    private var pendingOrder: [TopicPartition] = []
    private var closed = false

    init(client: SluiceClient, group: String, topics: [String], configuration: ShareConsumerConfiguration) {
        self.client = client
        self.group = group
        self.topics = topics
        self.configuration = configuration
    }

    /// Connects to the server listening on `socketPath` and joins `group`, reading `topics`. Throws
    /// `.connectionClosed` if no server listens, `.invalidArgument` (no topics, a group id in use by a consumer
    /// group), `.notAuthorized`.
    public static func connect(
        socketPath: String, group: String, topics: [String],
        configuration: ShareConsumerConfiguration = ShareConsumerConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(SluiceError) -> ShareConsumer {
        let client = try await SluiceClient.connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup)
        let consumer = ShareConsumer(client: client, group: group, topics: topics, configuration: configuration)
        do throws(SluiceError) {
            try await consumer.join()
        } catch {
            await client.close()
            throw error
        }
        return consumer
    }

    /// The id the server gave this member (it changes if the member has to join again).
    public var currentMemberID: String { memberID }

    /// Acquires up to `configuration.maxRecords` records, waiting up to `maxWaitMs` for a first one. The
    /// acknowledgements recorded since the last `poll` or `commit()` travel with it and are applied before anything
    /// is acquired; a partition whose acknowledgements the server refused (they changed nothing) is kept for
    /// `takeAcknowledgementErrors()`. `maxRecords` caps this poll below `configuration.maxRecords`. A member the
    /// server forgot joins again and gets no records this time. Throws
    /// a partition's error only when no record was acquired, and `.notAuthorized`, `.connectionClosed`.
    public func poll(maxWaitMs: Int32 = 500, maxRecords: Int32? = nil) async throws(SluiceError) -> [ShareRecord] {
        precondition(!closed, "poll after close")
        let acknowledgements = takePending()
        let request = SluiceProtocol.ShareFetchRequest(
            group: group, memberID: memberID, maxWaitMs: max(maxWaitMs, 0),
            maxRecords: max(maxRecords ?? configuration.maxRecords, 1),
            maxBytes: max(configuration.maxBytes, 1), topics: assignment, acknowledgements: acknowledgements)
        let response: Response
        do throws(SluiceError) {
            response = try await client.send(.shareFetch(request))
        } catch  where error.code == .unknownMember {
            // The server forgot the member (its session expired, or it restarted): what it held was released, so
            // the acknowledgements are moot. Join again and poll on.
            try await rejoin()
            return []
        }
        guard case .shareFetch(let answer) = response else { throw SluiceClient.unexpected(.shareFetch) }
        var records: [ShareRecord] = []
        var firstError: SluiceError?
        for topic in answer.topics {
            for partition in topic.partitions {
                if let error = partition.error {
                    firstError = firstError ?? error
                    continue
                }
                for record in partition.records {
                    records.append(
                        ShareRecord(
                            topic: topic.name, partition: partition.partition, record: record,
                            deliveryCount: partition.deliveryCount(of: record.offset) ?? 1))
                }
            }
        }
        for topic in answer.acknowledgements {
            for partition in topic.partitions where partition.error != nil {
                lastAcknowledgementErrors[TopicPartition(topic: topic.name, partition: partition.partition)] =
                    partition.error
            }
        }
        if records.isEmpty, let firstError, firstError.code != .unknownTopic { throw firstError }
        return records
    }

    /// Acknowledgements the server refused since the last call, by partition (each partition's are applied all or
    /// none); cleared by reading.
    public func takeAcknowledgementErrors() -> [TopicPartition: SluiceError] {
        defer { lastAcknowledgementErrors = [:] }
        return lastAcknowledgementErrors
    }

    private var lastAcknowledgementErrors: [TopicPartition: SluiceError] = [:]

    /// Records what to do with `record`; sent with the next `poll` or `commit()`.
    public func acknowledge(_ record: ShareRecord, _ acknowledgement: ShareAcknowledgement = .accept) {
        let kind: AcknowledgeKind
        var delay: Int32 = 0
        switch acknowledgement {
        case .accept: kind = .accept
        case .reject: kind = .reject
        case .release(let delayMs):
            kind = .release
            delay = max(delayMs, 0)
        }
        add(record.topicPartition, offset: record.offset, kind: kind, delayMs: delay)
    }

    /// Extends `record`'s lock by the group's lock duration from when the server receives it (sent with the next
    /// `poll` or `commit()`); the record stays this member's to acknowledge.
    public func renew(_ record: ShareRecord) {
        add(record.topicPartition, offset: record.offset, kind: .renew, delayMs: 0)
    }

    /// Sends the acknowledgements recorded so far and waits until the server has stored them; returns the
    /// partitions whose acknowledgements it refused, with why (those changed nothing). Throws a top-level error:
    /// `.unknownMember` (the member was removed: what it held was released), `.connectionClosed`.
    @discardableResult
    public func commit() async throws(SluiceError) -> [TopicPartition: SluiceError] {
        let acknowledgements = takePending()
        if acknowledgements.isEmpty { return [:] }
        let request = ShareAcknowledgeRequest(group: group, memberID: memberID, acknowledgements: acknowledgements)
        guard case .shareAcknowledge(let answer) = try await client.send(.shareAcknowledge(request)) else {
            throw SluiceClient.unexpected(.shareAcknowledge)
        }
        var refused: [TopicPartition: SluiceError] = [:]
        for topic in answer.topics {
            for partition in topic.partitions {
                if let error = partition.error {
                    refused[TopicPartition(topic: topic.name, partition: partition.partition)] = error
                }
            }
        }
        return refused
    }

    /// Commits what is pending (best effort), leaves the group (the server releases every record the member still
    /// holds, at once) and closes the connection.
    public func close() async {
        guard !closed else { return }
        closed = true
        heartbeat?.cancel()
        heartbeat = nil
        _ = try? await commit()
        if !memberID.isEmpty {
            _ = try? await client.send(
                .shareGroupHeartbeat(
                    ShareGroupHeartbeatRequest(
                        group: group, memberID: memberID, memberEpoch: ShareGroupHeartbeatRequest.leaveEpoch,
                        clientID: configuration.clientID, topics: nil)))
        }
        await client.close()
    }

    // MARK: - Membership

    private func join() async throws(SluiceError) {
        let answer = try await sendHeartbeat(memberID: "", epoch: ShareGroupHeartbeatRequest.joinEpoch, topics: topics)
        apply(answer)
        heartbeat?.cancel()
        heartbeat = Task { [weak self] in
            while let self, await self.heartbeatOnce() {}
        }
    }

    private func rejoin() async throws(SluiceError) {
        pending = [:]
        pendingOrder = []
        try await join()
    }

    private func apply(_ answer: ShareGroupHeartbeatResponse) {
        memberID = answer.memberID
        memberEpoch = answer.memberEpoch
        heartbeatIntervalMs = max(answer.heartbeatIntervalMs, 100)
        assignment = answer.assignment
    }

    private func sendHeartbeat(memberID: String, epoch: Int32, topics: [String]?) async throws(SluiceError)
        -> ShareGroupHeartbeatResponse
    {
        let request = ShareGroupHeartbeatRequest(
            group: group, memberID: memberID, memberEpoch: epoch, clientID: configuration.clientID, topics: topics)
        guard case .shareGroupHeartbeat(let answer) = try await client.send(.shareGroupHeartbeat(request)) else {
            throw SluiceClient.unexpected(.shareGroupHeartbeat)
        }
        return answer
    }

    /// Waits one interval and heartbeats; false once the consumer is closed.
    private func heartbeatOnce() async -> Bool {
        let interval = heartbeatIntervalMs
        do {
            try await Task.sleep(for: .milliseconds(Int(interval)))
        } catch {
            return false
        }
        if closed || Task.isCancelled { return false }
        do throws(SluiceError) {
            apply(try await sendHeartbeat(memberID: memberID, epoch: memberEpoch, topics: nil))
        } catch  where error.code == .unknownMember {
            if let answer = try? await sendHeartbeat(memberID: "", epoch: 0, topics: topics) {
                pending = [:]
                pendingOrder = []
                apply(answer)
            }
        } catch  where error.code == .connectionClosed {
            return false
        } catch {
            // Retried at the next interval.
        }
        return !closed
    }

    // MARK: - Pending acknowledgements

    private func add(_ partition: TopicPartition, offset: Int64, kind: AcknowledgeKind, delayMs: Int32) {
        var runs = pending[partition] ?? []
        if runs.isEmpty { pendingOrder.append(partition) }
        if var last = runs.last, last.kind == kind, last.delayMs == delayMs, last.lastOffset + 1 == offset {
            last.lastOffset = offset
            runs[runs.count - 1] = last
        } else {
            runs.append(AcknowledgementBatch(firstOffset: offset, lastOffset: offset, kind: kind, delayMs: delayMs))
        }
        pending[partition] = runs
    }

    /// The pending acknowledgements as the wire carries them (each partition's runs ascending, merged where
    /// they touch), and forgets them.
    private func takePending() -> [TopicPartitions<PartitionAcknowledgements>] {
        var topics: [TopicPartitions<PartitionAcknowledgements>] = []
        for partition in pendingOrder {
            guard let runs = pending[partition], !runs.isEmpty else { continue }
            // The same offset acknowledged twice keeps the last word.
            var byOffset: [Int64: (AcknowledgeKind, Int32)] = [:]
            for run in runs {
                for offset in run.firstOffset...run.lastOffset { byOffset[offset] = (run.kind, run.delayMs) }
            }
            var merged: [AcknowledgementBatch] = []
            for offset in byOffset.keys.sorted() {
                let (kind, delay) = byOffset[offset]!
                if var last = merged.last, last.kind == kind, last.delayMs == delay, last.lastOffset + 1 == offset {
                    last.lastOffset = offset
                    merged[merged.count - 1] = last
                } else {
                    merged.append(
                        AcknowledgementBatch(firstOffset: offset, lastOffset: offset, kind: kind, delayMs: delay))
                }
            }
            topics.appendPartition(
                PartitionAcknowledgements(partition: partition.partition, batches: merged), topic: partition.topic)
        }
        pending = [:]
        pendingOrder = []
        return topics
    }
}

extension Array {
    /// Adds a partition's entry to a topic list built in order: to the last topic when it is the same one.
    fileprivate mutating func appendPartition<Partition>(_ partition: Partition, topic: String)
    where Element == TopicPartitions<Partition> {
        if last?.name == topic {
            self[count - 1].partitions.append(partition)
        } else {
            append(TopicPartitions(name: topic, partitions: [partition]))
        }
    }
}

extension SluiceClient {
    /// A share-group member on a connection of its own to the same server, joined to `group` and reading `topics`.
    public func makeShareConsumer(
        group: String, topics: [String], configuration: ShareConsumerConfiguration = ShareConsumerConfiguration()
    ) async throws(SluiceError) -> ShareConsumer {
        try await ShareConsumer.connect(
            socketPath: socketPath, group: group, topics: topics, configuration: configuration,
            eventLoopGroup: handle.eventLoopGroup)
    }
}

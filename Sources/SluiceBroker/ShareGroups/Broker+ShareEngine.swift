import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// A share group and a topic it reads.
struct ShareGroupTopic: Sendable, Hashable {
    var group: String
    var topic: String
}

/// The header that holds a record back from share groups until a time (milliseconds since the epoch, decimal).
package let deliverAfterHeader = "sluice.deliver.after.ms"

/// The headers a dead-letter copy carries (decimal text values).
package enum DeadLetterHeader {
    package static let group = "sluice.dlq.group"
    package static let topic = "sluice.dlq.topic"
    package static let partition = "sluice.dlq.partition"
    package static let offset = "sluice.dlq.offset"
    package static let deliveryCount = "sluice.dlq.delivery.count"
    package static let reason = "sluice.dlq.reason"
}

/// What one topic's part of a share fetch answered, and where to wait when it found nothing.
private struct ShareRound: Sendable {
    var partitions: [ShareFetchedPartition]
    var waits: [(key: ShareKey, version: UInt64, watchOffset: Int64?)]
}

extension Broker {
    // MARK: - Topic handles with their share hooks

    /// The topic's handle, with the hooks its share state needs installed.
    func shareHandle(_ topic: String) throws(SluiceError) -> TopicHandle {
        let handle = try handle(topic)
        handle.shares.withLock { shares in
            if shares.hooks != nil { return }
            shares.hooks = ShareHooks(
                topicEnd: { [weak self] topic in
                    (try? self?.handle(topic).watchIfLoaded?.bounds(0)?.highWatermark) ?? 0
                },
                deadLetter: { [weak self] job in self?.runDeadLetters(job) })
        }
        return handle
    }

    func forgetShareTopic(_ topic: String) {
        shareInitialized.withLock { $0 = $0.filter { $0.topic != topic } }
        shareTopics.withLock { topics in
            for group in topics.keys { topics[group]?.remove(topic) }
        }
    }

    /// At a member's first heartbeat (in this process) per topic: every partition of the topic gets its share
    /// state (made where `share.auto.offset.reset` says, durably), so that records produced after the heartbeat
    /// answered are the group's.
    func initializeShareState(group: String, topics: [String], config: ShareGroupConfig) async {
        for topic in topics {
            let entry = ShareGroupTopic(group: group, topic: topic)
            if shareInitialized.withLock({ $0.contains(entry) }) { continue }
            guard let handle = try? shareHandle(topic) else { continue }
            let count = handle.partitionCount
            let done: Bool = await withCheckedContinuation { continuation in
                handle.enqueueShare(
                    ShareOp(
                        run: { transaction throws(SluiceError) in
                            for partition in 0..<count {
                                _ = try transaction.partition(
                                    ShareKey(group: group, partition: partition), config: config)
                            }
                            transaction.afterCommit { continuation.resume(returning: true) }
                        }, fail: { _ in continuation.resume(returning: false) }))
            }
            if done { shareInitialized.withLock { _ = $0.insert(entry) } }
        }
    }

    // MARK: - Share fetch

    func shareFetchRun(
        _ request: ShareFetchRequest, completion: @escaping @Sendable (Result<ShareFetchResponse, SluiceError>) -> Void
    ) {
        if isShuttingDown { return completion(.failure(SluiceError(.shuttingDown, "the server is shutting down"))) }
        guard shareCoordinator.isMember(request.group, request.memberID) else {
            return completion(.failure(unknownShareMember(request.group, request.memberID)))
        }
        let deadline = clocks.monotonic() + Int64(max(0, request.maxWaitMs))
        if let config = shareSettings.withLock({ $0[request.group] }) {
            shareFetchRound(request, config: config, first: true, ackErrors: [:], deadline: deadline, completion)
        } else {
            Task {
                do throws(SluiceError) {
                    let config = try await self.shareGroupConfig(request.group)
                    self.shareFetchRound(
                        request, config: config, first: true, ackErrors: [:], deadline: deadline, completion)
                } catch {
                    completion(.failure(error))
                }
            }
        }
    }

    func unknownShareMember(_ group: String, _ member: String) -> SluiceError {
        SluiceError(
            .unknownMember,
            "member '\(member)' is not in share group '\(group)' (its session expired, it left or the server "
                + "restarted); join again")
    }

    /// One pass: every topic's part runs in its topic's transaction; with nothing acquired and time left, waits on
    /// every partition (new records, a release, a lock expiring, a delay due) and runs again.
    private func shareFetchRound(
        _ request: ShareFetchRequest, config: ShareGroupConfig, first: Bool,
        ackErrors: [TopicPartition: SluiceError], deadline: Int64,
        _ completion: @escaping @Sendable (Result<ShareFetchResponse, SluiceError>) -> Void
    ) {
        guard first || shareCoordinator.isMember(request.group, request.memberID) else {
            return completion(.failure(unknownShareMember(request.group, request.memberID)))
        }
        var order: [String] = []
        var parts: [String: (partitions: [Int32], acks: [ShareAcknowledgement])] = [:]
        for target in request.partitions {
            if parts[target.topic] == nil { order.append(target.topic) }
            if !(parts[target.topic]?.partitions.contains(target.partition) ?? false) {
                parts[target.topic, default: ([], [])].partitions.append(target.partition)
            }
        }
        if first {
            for ack in request.acknowledgements {
                if parts[ack.topic] == nil { order.append(ack.topic) }
                parts[ack.topic, default: ([], [])].acks.append(ack)
            }
        }
        if order.isEmpty { return completion(.success(ShareFetchResponse(partitions: []))) }
        let topics = order
        let collector = Collector<ShareRound>(count: order.count) { rounds in
            var answer = rounds.flatMap(\.partitions)
            var errors = ackErrors
            for partition in answer {
                if let error = partition.acknowledgeError { errors[partition.topicPartition] = error }
            }
            for index in answer.indices { answer[index].acknowledgeError = errors[answer[index].topicPartition] }
            let seenErrors = errors
            let acquired = answer.contains { !$0.records.isEmpty }
            let remaining = deadline - self.clocks.monotonic()
            let waits = rounds.flatMap(\.waits)
            if acquired || remaining <= 0 || waits.isEmpty || self.isShuttingDown {
                var response = ShareFetchResponse(partitions: answer)
                response.lockDurationMs = config.recordLockDurationMs
                return completion(.success(response))
            }
            let waiter = ShareWaiter {
                self.shareFetchRound(
                    request, config: self.cachedShareGroupConfig(request.group), first: false, ackErrors: seenErrors,
                    deadline: deadline, completion)
            }
            for (topic, round) in zip(topics, rounds) {
                guard let handle = try? self.handle(topic) else { continue }
                for wait in round.waits {
                    handle.waitForShareChange(waiter, wait.key, seen: wait.version)
                    if let offset = wait.watchOffset, let watch = handle.watchIfLoaded {
                        watch.wait(
                            FetchWaiter { _ in waiter.fire() }, partition: wait.key.partition, offset: offset)
                    }
                }
            }
            self.timerQueue.asyncAfter(deadline: .now() + .milliseconds(Int(remaining))) { waiter.fire() }
        }
        let now = clocks.monotonic()
        for (index, topic) in order.enumerated() {
            let part = parts[topic]!
            let failed: @Sendable (SluiceError) -> Void = { error in
                var answers = part.partitions.map {
                    ShareFetchedPartition(topic: topic, partition: $0, error: error)
                }
                for partition in Set(part.acks.map(\.partition)) where !part.partitions.contains(partition) {
                    answers.append(ShareFetchedPartition(topic: topic, partition: partition, error: error))
                }
                for i in answers.indices where part.acks.contains(where: { $0.partition == answers[i].partition }) {
                    answers[i].acknowledgeError = error
                }
                collector.set(index, ShareRound(partitions: answers, waits: []))
            }
            let handle: TopicHandle
            do throws(SluiceError) {
                handle = try shareHandle(topic)
            } catch {
                failed(error)
                continue
            }
            let group = request.group
            let member = request.memberID
            handle.enqueueShare(
                ShareOp(
                    run: { transaction throws(SluiceError) in
                        let round = try Self.shareFetchPart(
                            transaction, group: group, member: member, partitions: part.partitions,
                            acks: part.acks, maxRecords: request.maxRecords, maxBytes: request.maxBytes,
                            config: config, now: now)
                        transaction.afterCommit { collector.set(index, round) }
                    }, fail: failed, durable: !part.acks.isEmpty))
        }
    }

    /// One topic's part of a share fetch, inside its transaction: acknowledgements first (each partition's all or
    /// none), then acquisition.
    private static func shareFetchPart(
        _ transaction: ShareTransaction, group: String, member: String, partitions: [Int32],
        acks: [ShareAcknowledgement], maxRecords: Int, maxBytes: Int, config: ShareGroupConfig, now _: Int64
    ) throws(SluiceError) -> ShareRound {
        let topic = transaction.topic
        let count = transaction.handle.partitionCount
        var answers: [Int32: ShareFetchedPartition] = [:]
        var order: [Int32] = []
        func answer(_ partition: Int32) -> ShareFetchedPartition {
            answers[partition] ?? ShareFetchedPartition(topic: topic, partition: partition)
        }
        for partition in partitions where answers[partition] == nil {
            order.append(partition)
            answers[partition] = answer(partition)
        }
        // Acknowledgements.
        var acksByPartition: [Int32: [ShareAcknowledgement]] = [:]
        for ack in acks { acksByPartition[ack.partition, default: []].append(ack) }
        for (partition, partitionAcks) in acksByPartition.sorted(by: { $0.key < $1.key }) {
            if answers[partition] == nil { order.append(partition) }
            var entry = answer(partition)
            entry.acknowledgeError = try acknowledge(
                transaction, group: group, member: member, partition: partition, acks: partitionAcks,
                config: config, count: count)
            answers[partition] = entry
        }
        // Acquisition.
        var remaining = max(1, maxRecords)
        var bytes = max(1, maxBytes)
        var waits: [(key: ShareKey, version: UInt64, watchOffset: Int64?)] = []
        for partition in partitions {
            var entry = answer(partition)
            guard partition >= 0, partition < count else {
                entry.error = .unknownPartition(topic, partition, count: count)
                answers[partition] = entry
                continue
            }
            let key = ShareKey(group: group, partition: partition)
            let version = transaction.handle.shareVersion(key)
            var state = try transaction.partition(key, config: config)
            let before = (state.endOffset, state.entries.count)
            let bounds = try transaction.bounds(partition)
            var acquired: [Record] = []
            var counts: [Int16] = []
            var changed = false
            // Records given back and due first, oldest first.
            for offset in state.availableNow(wallNow: transaction.wallNow) {
                guard remaining > 0, bytes > 0 || acquired.isEmpty else { break }
                guard let record = try transaction.writer.readRecord(partition: partition, offset: offset) else {
                    state.entries[offset] = nil
                    changed = true
                    continue
                }
                acquired.append(record)
                counts.append(state.acquire(offset, member: member, config: config, now: transaction.now))
                remaining -= 1
                bytes -= record.sizeInBytes
                changed = true
            }
            // Then records never delivered, within the lock budget.
            scan: while remaining > 0, bytes > 0 || acquired.isEmpty, state.endOffset < bounds.next,
                state.room(config: config) > 0
            {
                let limit = Int(min(Int64(remaining), state.room(config: config), 500))
                // Bounded by count only, so that fewer records than asked means none are left (the byte budget is
                // kept below, record by record).
                let records = try transaction.writer.readRecords(
                    partition: partition, from: state.endOffset, maxRecords: limit, maxBytes: .max)
                if records.isEmpty {
                    state.endOffset = bounds.next
                    break
                }
                for record in records {
                    guard record.offset - state.startOffset < Int64(config.maxRecordLocks) else { break scan }
                    guard remaining > 0, bytes > 0 || acquired.isEmpty else { break scan }
                    if let due = Self.deliverAfter(record), due > transaction.wallNow {
                        state.delay(record.offset, until: due)
                    } else {
                        acquired.append(record)
                        counts.append(
                            state.acquire(record.offset, member: member, config: config, now: transaction.now))
                        remaining -= 1
                        bytes -= record.sizeInBytes
                    }
                    state.endOffset = record.offset + 1
                }
                // Every record left was looked at: what lies between the last one and the end is gaps.
                if records.count < limit { state.endOffset = max(state.endOffset, bounds.next) }
            }
            state.advanceStart()
            if changed || before != (state.endOffset, state.entries.count) {
                transaction.set(key, state, acquired: true)
            }
            // Acquired records, in offset order, and their runs.
            let sorted = zip(acquired, counts).sorted { $0.0.offset < $1.0.offset }
            entry.records = sorted.map(\.0)
            entry.acquired = Self.ranges(sorted.map { ($0.0.offset, $0.1) })
            entry.logStartOffset = bounds.logStart
            entry.highWatermark = bounds.next
            answers[partition] = entry
            let room = state.room(config: config) > 0
            waits.append((key, version, room ? max(state.endOffset, bounds.next) : nil))
        }
        return ShareRound(partitions: order.compactMap { answers[$0] }, waits: waits)
    }

    /// Applies one partition's acknowledgements in the transaction, or none of them; returns why not.
    private static func acknowledge(
        _ transaction: ShareTransaction, group: String, member: String, partition: Int32,
        acks: [ShareAcknowledgement], config: ShareGroupConfig, count: Int32
    ) throws(SluiceError) -> SluiceError? {
        let topic = transaction.topic
        guard partition >= 0, partition < count else { return .unknownPartition(topic, partition, count: count) }
        let key = ShareKey(group: group, partition: partition)
        var state = try transaction.partition(key, config: config)
        if let refusal = state.refusal(acks, member: member, topic: topic, partition: partition) { return refusal }
        state.apply(acks, config: config, now: transaction.now, wallNow: transaction.wallNow)
        transaction.set(key, state)
        return nil
    }

    /// The record's `sluice.deliver.after.ms`, if it has one that reads as a number.
    static func deliverAfter(_ record: Record) -> Int64? {
        guard let header = record.headers.last(where: { $0.name == deliverAfterHeader }), let value = header.value
        else { return nil }
        return Int64(String(decoding: value, as: UTF8.self))
    }

    /// Offsets with their delivery counts as runs of consecutive offsets with the same count.
    static func ranges(_ offsets: [(Int64, Int16)]) -> [AcquiredRange] {
        var ranges: [AcquiredRange] = []
        for (offset, count) in offsets {
            if var last = ranges.last, last.lastOffset + 1 == offset, last.deliveryCount == count {
                last.lastOffset = offset
                ranges[ranges.count - 1] = last
            } else {
                ranges.append(AcquiredRange(firstOffset: offset, lastOffset: offset, deliveryCount: count))
            }
        }
        return ranges
    }

    // MARK: - Share acknowledge

    func shareAcknowledgeRun(
        group: String, memberID: String, acknowledgements: [ShareAcknowledgement],
        completion: @escaping @Sendable (Result<[ShareAcknowledgeResult], SluiceError>) -> Void
    ) {
        if isShuttingDown { return completion(.failure(SluiceError(.shuttingDown, "the server is shutting down"))) }
        guard shareCoordinator.isMember(group, memberID) else {
            return completion(.failure(unknownShareMember(group, memberID)))
        }
        var order: [String] = []
        var byTopic: [String: [ShareAcknowledgement]] = [:]
        for ack in acknowledgements {
            if byTopic[ack.topic] == nil { order.append(ack.topic) }
            byTopic[ack.topic, default: []].append(ack)
        }
        if order.isEmpty { return completion(.success([])) }
        let config = cachedShareGroupConfig(group)
        let collector = Collector<[ShareAcknowledgeResult]>(count: order.count) {
            completion(.success($0.flatMap { $0 }))
        }
        for (index, topic) in order.enumerated() {
            let acks = byTopic[topic]!
            var named: [Int32] = []
            for ack in acks where !named.contains(ack.partition) { named.append(ack.partition) }
            let partitions = named
            let failed: @Sendable (SluiceError) -> Void = { error in
                collector.set(
                    index, partitions.map { ShareAcknowledgeResult(topic: topic, partition: $0, error: error) })
            }
            let handle: TopicHandle
            do throws(SluiceError) {
                handle = try shareHandle(topic)
            } catch {
                failed(error)
                continue
            }
            handle.enqueueShare(
                ShareOp(
                    run: { transaction throws(SluiceError) in
                        let count = transaction.handle.partitionCount
                        var results: [ShareAcknowledgeResult] = []
                        for partition in partitions {
                            let error = try Self.acknowledge(
                                transaction, group: group, member: memberID, partition: partition,
                                acks: acks.filter { $0.partition == partition }, config: config, count: count)
                            results.append(ShareAcknowledgeResult(topic: topic, partition: partition, error: error))
                        }
                        transaction.afterCommit { collector.set(index, results) }
                    }, fail: failed))
        }
    }

    // MARK: - Members leaving

    /// Members left or expired: whatever they held is released (or archived at the delivery limit).
    func releaseShareMembers(_ group: String, _ members: [String]) {
        let gone = Set(members)
        let topics = (shareTopics.withLock { $0[group] } ?? []).union(
            shareInitialized.withLock { $0.filter { $0.group == group }.map(\.topic) })
        let config = cachedShareGroupConfig(group)
        for topic in topics {
            guard let handle = try? shareHandle(topic) else { continue }
            handle.enqueueShare(
                ShareOp(
                    run: { transaction throws(SluiceError) in
                        let keys = transaction.handle.shares.withLock {
                            $0.partitions.keys.filter { $0.group == group }
                        }
                        for key in keys {
                            var state = try transaction.partition(key, config: config)
                            if state.releaseAll(of: gone, config: config) { transaction.set(key, state) }
                        }
                    }, fail: { _ in }))
        }
    }

    // MARK: - Dead letters

    /// Copies a job's records to the dead-letter topic (created with one partition if missing), skipping copies a
    /// run cut short by a crash already made, then marks them archived in their topic. A failure is retried after
    /// a second.
    func runDeadLetters(_ job: DeadLetterJob) {
        Task {
            do throws(SluiceError) {
                var copied = 0
                if let dlq = job.deadLetterTopic {
                    copied = try await self.copyDeadLetters(job, to: dlq)
                }
                self.markArchived(job, copied: copied)
            } catch {
                self.logger.warning(
                    "dead-letter copy failed; retrying",
                    metadata: ["topic": "\(job.topic)", "group": "\(job.group)", "error": "\(error)"])
                // Not while stopping; and the retry holds no reference to the broker meanwhile.
                guard !self.isShuttingDown else { return }
                timerQueue.asyncAfter(deadline: .now() + .seconds(1)) { [weak self] in self?.retryDeadLetters(job) }
            }
        }
    }

    private func copyDeadLetters(_ job: DeadLetterJob, to dlq: String) async throws(SluiceError) -> Int {
        if (try? handle(dlq)) == nil {
            do throws(SluiceError) {
                _ = try await createTopic(dlq, config: TopicConfig(partitions: 1))
            } catch  where error.code == .topicAlreadyExists {
            }
        }
        let existing = try await deadLetterCopies(in: dlq, of: job)
        var records: [ProducerRecord] = []
        var copied = 0
        for item in job.items {
            guard let record = item.record else { continue }
            copied += 1
            if existing.contains(item.offset) { continue }
            let headers =
                record.headers + [
                    Header(name: DeadLetterHeader.group, value: Array(job.group.utf8)),
                    Header(name: DeadLetterHeader.topic, value: Array(job.topic.utf8)),
                    Header(name: DeadLetterHeader.partition, value: Array(String(job.partition).utf8)),
                    Header(name: DeadLetterHeader.offset, value: Array(String(item.offset).utf8)),
                    Header(name: DeadLetterHeader.deliveryCount, value: Array(String(item.deliveryCount).utf8)),
                    Header(name: DeadLetterHeader.reason, value: Array(item.reason.name.utf8)),
                ]
            records.append(
                ProducerRecord(key: record.key, value: record.value, headers: headers, timestamp: record.timestamp))
        }
        if !records.isEmpty {
            let outcome = await produce([ProduceBatch(topic: dlq, partition: 0, records: records)])
            if case .failure(let error) = outcome.first?.result { throw error }
        }
        return copied
    }

    /// Offsets of `job`'s partition already copied into the dead-letter topic since `job.scanFrom`.
    private func deadLetterCopies(in dlq: String, of job: DeadLetterJob) async throws(SluiceError) -> Set<Int64> {
        let handle = try handle(dlq)
        let group = job.group
        let topic = job.topic
        let partition = String(job.partition)
        return try await onReadQueue { () throws(SluiceError) -> Set<Int64> in
            let watch = try handle.watch()
            guard let bounds = watch.bounds(0) else { return [] }
            var from = job.scanFrom > bounds.highWatermark ? bounds.logStart : max(job.scanFrom, bounds.logStart)
            var found: Set<Int64> = []
            while from < bounds.highWatermark {
                let records = try handle.withReader { reader throws(SluiceError) in
                    try reader.read(partition: 0, from: from, maxRecords: 1000, maxBytes: 8 << 20)
                }
                guard let last = records.last else { break }
                for record in records {
                    func value(_ name: String) -> String? {
                        record.headers.last { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
                    }
                    if value(DeadLetterHeader.group) == group, value(DeadLetterHeader.topic) == topic,
                        value(DeadLetterHeader.partition) == partition,
                        let offset = value(DeadLetterHeader.offset).flatMap({ Int64($0) })
                    {
                        found.insert(offset)
                    }
                }
                from = last.offset + 1
            }
            return found
        }
    }

    private func markArchived(_ job: DeadLetterJob, copied: Int) {
        guard let handle = try? shareHandle(job.topic) else { return }
        let key = ShareKey(group: job.group, partition: job.partition)
        let offsets = job.items.map(\.offset)
        handle.enqueueShare(
            ShareOp(
                run: { transaction throws(SluiceError) in
                    let config =
                        transaction.handle.shares.withLock { $0.configs[key.group] } ?? ShareGroupConfig()
                    var state = try transaction.partition(key, config: config)
                    state.archived(offsets, deadLettered: copied)
                    transaction.set(key, state)
                    transaction.afterCommit {
                        transaction.handle.shares.withLock { $0.deadLettering[key]?.subtract(offsets) }
                    }
                }, fail: { _ in self.retryDeadLetters(job) }))
    }

    /// Lets the next transaction of the topic start the job again.
    private func retryDeadLetters(_ job: DeadLetterJob) {
        guard let handle = try? shareHandle(job.topic) else { return }
        let key = ShareKey(group: job.group, partition: job.partition)
        handle.shares.withLock { $0.deadLettering[key]?.subtract(job.items.map(\.offset)) }
        handle.enqueueShare(
            ShareOp(
                run: { transaction throws(SluiceError) in
                    let config =
                        transaction.handle.shares.withLock { $0.configs[key.group] } ?? ShareGroupConfig()
                    _ = try transaction.partition(key, config: config)
                }, fail: { _ in }))
    }

    // MARK: - Describe, reset, delete

    func describeShareGroupRun(_ group: String) async throws(SluiceError) -> ShareGroupDescription {
        guard try await isShareGroup(group) else {
            throw SluiceError(.unknownGroup, "no share group '\(group)'")
        }
        let config = try await shareGroupConfig(group)
        let stored = try await admin { store throws(SluiceError) in try store.catalog.shareGroupTopics(group) }
        let members = shareCoordinator.members(group)
        let topics = Set(stored).union(members.flatMap(\.topics)).sorted()
        var partitions: [ShareGroupDescription.Partition] = []
        var held: [String: Int] = [:]
        for topic in topics {
            guard let handle = try? shareHandle(topic) else { continue }
            let count = handle.partitionCount
            let described: [(ShareGroupDescription.Partition, [String: Int])] = await withCheckedContinuation {
                continuation in
                handle.enqueueShare(
                    ShareOp(
                        run: { transaction throws(SluiceError) in
                            var rows: [(ShareGroupDescription.Partition, [String: Int])] = []
                            for partition in 0..<count {
                                let key = ShareKey(group: group, partition: partition)
                                let bounds = try transaction.bounds(partition)
                                var state: SharePartition? = transaction.working[key]
                                if state == nil { state = transaction.handle.shares.withLock { $0.partitions[key] } }
                                if state == nil,
                                    let saved = try transaction.writer.shareState(group: group, partition: partition)
                                {
                                    var loaded = SharePartition(stored: saved)
                                    loaded.releaseEveryLock(config: config)
                                    state = loaded
                                }
                                guard var state else {
                                    rows.append(
                                        (
                                            .init(
                                                topic: topic, partition: partition, startOffset: -1,
                                                endOffset: bounds.next, inFlight: 0, acquired: 0, available: 0,
                                                delayed: 0, deadLettered: 0, archived: 0), [:]
                                        ))
                                    continue
                                }
                                state.skip(below: bounds.logStart)
                                var byMember: [String: Int] = [:]
                                for entry in state.entries.values where entry.state == .acquired {
                                    byMember[entry.member ?? "", default: 0] += 1
                                }
                                let delayed = state.delayedCount(wallNow: transaction.wallNow)
                                let availableAgain = state.count(.available) - delayed
                                rows.append(
                                    (
                                        .init(
                                            topic: topic, partition: partition, startOffset: state.startOffset,
                                            endOffset: bounds.next, inFlight: state.entries.count,
                                            acquired: state.count(.acquired),
                                            available: availableAgain + Int(max(0, bounds.next - state.endOffset)),
                                            delayed: delayed, deadLettered: state.deadLettered,
                                            archived: state.archived), byMember
                                    ))
                            }
                            transaction.afterCommit { continuation.resume(returning: rows) }
                        }, fail: { _ in continuation.resume(returning: []) }))
            }
            for (row, byMember) in described {
                partitions.append(row)
                for (member, count) in byMember { held[member, default: 0] += count }
            }
        }
        return ShareGroupDescription(
            group: group, state: members.isEmpty ? .empty : .stable,
            members: members.map {
                .init(
                    memberID: $0.memberID, clientID: $0.clientID, memberEpoch: $0.epoch, topics: $0.topics,
                    acquiredRecords: held[$0.memberID] ?? 0)
            }, partitions: partitions, config: config.entries)
    }

    func resetShareGroupRun(group: String, topic: String, to reset: OffsetReset) async throws(SluiceError)
        -> [ShareStartOffset]
    {
        try checkRunning()
        try checkShareGroupKind(group)
        if shareCoordinator.hasMembers(group) {
            throw SluiceError(
                .groupNotEmpty, "share group '\(group)' has live members; stop them before resetting offsets")
        }
        let handle = try shareHandle(topic)
        let watch = try await onReadQueue { () throws(SluiceError) in try handle.watch() }
        let count = watch.partitionCount
        var targets: [Int32: Int64] = [:]
        switch reset {
        case .offset(let offset):
            for partition in 0..<count {
                let bounds = watch.bounds(partition) ?? (0, 0)
                targets[partition] = min(max(offset, bounds.logStart), bounds.highWatermark)
            }
        case .earliest, .latest, .timestamp:
            let spec: OffsetSpec =
                switch reset {
                case .earliest: .earliest
                case .latest: .latest
                case .timestamp(let time): .timestamp(time)
                case .offset: .latest
                }
            for answer in await listOffsets((0..<count).map { (topic, $0, spec) }) {
                targets[answer.partition] = try answer.result.get().offset
            }
        }
        try await registerShareGroup(group, topics: [topic])
        let config = try await shareGroupConfig(group)
        let fixed = targets
        let result: Result<Void, SluiceError> = await withCheckedContinuation { continuation in
            handle.enqueueShare(
                ShareOp(
                    run: { transaction throws(SluiceError) in
                        for (partition, offset) in fixed {
                            let key = ShareKey(group: group, partition: partition)
                            let old = try transaction.partition(key, config: config)
                            var fresh = SharePartition(startOffset: offset)
                            fresh.archived = old.archived
                            fresh.deadLettered = old.deadLettered
                            transaction.replace(key, fresh)
                        }
                        transaction.afterCommit { continuation.resume(returning: .success(())) }
                    }, fail: { continuation.resume(returning: .failure($0)) }))
        }
        try result.get()
        return targets.sorted { $0.key < $1.key }.map {
            ShareStartOffset(topic: topic, partition: $0.key, startOffset: $0.value)
        }
    }

    func deleteShareGroupRun(_ group: String) async throws(SluiceError) {
        try checkRunning()
        if shareCoordinator.hasMembers(group) {
            throw SluiceError(.groupNotEmpty, "share group '\(group)' has live members; stop them first")
        }
        guard try await isShareGroup(group) else { throw SluiceError(.unknownGroup, "no share group '\(group)'") }
        let topics = try await admin { store throws(SluiceError) in try store.catalog.shareGroupTopics(group) }
        for topic in topics {
            guard let handle = try? shareHandle(topic) else { continue }
            let result: Result<Void, SluiceError> = await withCheckedContinuation { continuation in
                handle.enqueueShare(
                    ShareOp(
                        run: { transaction throws(SluiceError) in
                            try transaction.removeGroup(group)
                            transaction.afterCommit { continuation.resume(returning: .success(())) }
                        }, fail: { continuation.resume(returning: .failure($0)) }))
            }
            try result.get()
        }
        try await admin { store throws(SluiceError) in try store.catalog.removeShareGroup(group) }
        shareSettings.withLock { _ = $0.removeValue(forKey: group) }
        shareTopics.withLock { _ = $0.removeValue(forKey: group) }
        shareInitialized.withLock { $0 = $0.filter { $0.group != group } }
    }
}

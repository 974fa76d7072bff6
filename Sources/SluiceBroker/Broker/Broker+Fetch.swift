import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// Fetch with long polling.
extension Broker {
    /// Reads each target; when there is less than `minBytes`, waits until commits past what was read bring the rest
    /// (counted across the targets) or `maxWaitMs` passes, then reads again. `completion` runs once, on a broker
    /// thread.
    package func fetch(_ spec: FetchSpec, completion: @escaping @Sendable ([FetchedPartition]) -> Void) {
        fetch(spec, into: [Record].self, completion: completion)
    }

    /// `fetch(_:completion:)`, with each partition's records put into a `Records` sink as they are read (e.g. encoded
    /// straight into a wire format).
    ///
    /// A fetch woken by a commit is read on the thread that committed, right after the commit: what it reads was
    /// just written, so the read is short, and the answer saves a hop through the read queue.
    package func fetch<Records: FetchRecordSink>(
        _ spec: FetchSpec, into _: Records.Type,
        completion reply: @escaping @Sendable ([FetchResult<Records>]) -> Void
    ) {
        let completion: @Sendable ([FetchResult<Records>]) -> Void = { results in
            var records = 0
            var bytes = 0
            var byTopic: [String: Int] = [:]
            for result in results where result.recordCount > 0 {
                records += result.recordCount
                bytes += result.bytes
                byTopic[result.topic, default: 0] += result.recordCount
            }
            if records > 0 {
                BrokerMetrics.fetchedRecords.increment(by: records)
                BrokerMetrics.fetchedBytes.increment(by: bytes)
                self.noteFetched(byTopic)
            }
            reply(results)
        }
        readQueue.async {
            let deadline = self.clocks.monotonic() + Int64(max(spec.maxWaitMs, 0))
            self.answerOrWait(spec, self.read(spec), until: deadline, completion: completion)
        }
    }

    /// Answers with `results` when they hold `minBytes` (or cannot hold more: an error, a byte limit reached,
    /// the wait over); otherwise registers one waiter on every target past what was read and reads again when it
    /// fires. A commit woke it only once it brought the missing bytes, but one that slipped in between the read
    /// and the registration fires it at once, so a read woken early that still falls short waits again, for the
    /// time left.
    private func answerOrWait<Records: FetchRecordSink>(
        _ spec: FetchSpec, _ results: [FetchResult<Records>], until deadline: Int64,
        completion: @escaping @Sendable ([FetchResult<Records>]) -> Void
    ) {
        let bytes = results.reduce(0) { $0 + $1.bytes }
        let remaining = deadline - clocks.monotonic()
        let waitable = results.contains { $0.error == nil }
        // A partition read short of its high watermark hit a byte limit: the response can hold no more.
        let full = zip(spec.targets, results).contains { target, result in
            result.error == nil && (result.nextOffset ?? target.offset) < result.highWatermark
        }
        if bytes >= max(spec.minBytes, 1) || remaining <= 0 || !waitable || full || isShuttingDown {
            return completion(results)
        }
        let waiter = FetchWaiter(neededBytes: max(spec.minBytes, 1) - bytes) { context in
            switch context {
            case .inline: self.answerOrWait(spec, self.read(spec), until: deadline, completion: completion)
            case .deferred: self.readQueue.async { completion(self.read(spec)) }
            }
        }
        for (target, result) in zip(spec.targets, results) where result.error == nil {
            // Loaded by the read that found the target short (only a topic deleted since has none).
            guard let watch = try? self.handle(target.topic).watchIfLoaded else { continue }
            // Wait past what was read (offsets may have gaps where compaction removed records).
            watch.wait(waiter, partition: target.partition, offset: result.nextOffset ?? target.offset)
        }
        waiter.setTimeout(after: Int(remaining), on: timerQueue)
    }

    package func fetch(_ spec: FetchSpec) async -> [FetchedPartition] {
        await withCheckedContinuation { continuation in
            fetch(spec) { continuation.resume(returning: $0) }
        }
    }

    /// Bytes a record counts against a fetch's `maxBytes` at the least, whatever its size: about its framing on the
    /// wire (offset, timestamp, lengths), so that records of no data still use up the budget.
    static let recordOverheadBytes = 32

    /// Bytes of a record in the native wire form (`storedRecord`): 28 of framing, its key and value, and per header
    /// 6 of framing, its name and value.
    package static func wireSize(keyBytes: Int, valueBytes: Int, headers: [Header]) -> Int {
        headers.reduce(28 + keyBytes + valueBytes) { $0 + 6 + $1.name.utf8.count + ($1.value?.count ?? 0) }
    }

    /// Reads every target once, within the request's byte budgets. Runs on the read queue (or, for a fetch a
    /// commit woke, on the writer queue right after the commit).
    ///
    /// A record is taken when it fits what is left of both budgets and of its partition's `maxBytes`; the
    /// response's first record is taken whatever its size, so a record at the size limit can always be fetched.
    /// Once a record does not fit, nothing more is taken from its partition.
    private func read<Records: FetchRecordSink>(_ spec: FetchSpec) -> [FetchResult<Records>] {
        var budget = spec.maxBytes
        var wireBudget = spec.maxWireBytes
        var responseHasRecords = false
        return spec.targets.map { target in
            var fetched = FetchResult<Records>(
                topic: target.topic, partition: target.partition, records: Records(expectedBytes: 0),
                recordCount: 0, bytes: 0, nextOffset: nil)
            do throws(SluiceError) {
                let handle = try handle(target.topic)
                let watch = try handle.watch()
                guard let bounds = watch.bounds(target.partition) else {
                    throw SluiceError.unknownPartition(target.topic, target.partition, count: watch.partitionCount)
                }
                fetched.logStartOffset = bounds.logStart
                fetched.highWatermark = bounds.highWatermark
                if target.offset < bounds.logStart || target.offset > bounds.highWatermark {
                    throw SluiceError(
                        .offsetOutOfRange,
                        "offset \(target.offset) is out of range for \(target.topic)[\(target.partition)]: "
                            + "it holds \(bounds.logStart) to \(bounds.highWatermark)")
                }
                // Nothing committed past the offset: answer from memory without touching SQLite.
                guard target.offset < bounds.highWatermark, budget > 0, wireBudget > 0 else {
                    return fetched
                }
                let limit = max(1, min(target.maxBytes, budget))
                // Every record costs at least its framing: cap the count so that tiny records cannot make a
                // response many times larger than asked for, nor make the read go on for long.
                let maxRecords = max(1, limit / Self.recordOverheadBytes)
                try handle.withReader { reader throws(SluiceError) in
                    // At most what was committed past the offset (a fetch woken by a commit reads little).
                    let pending = bounds.highWatermark - target.offset
                    let expected = min(limit, wireBudget)
                    var records = Records(
                        expectedBytes: pending >= Int64(expected)
                            ? expected
                            : min(expected, Int(pending) * 100))
                    var count = 0
                    var bytes = 0
                    var cost = 0
                    var last: Int64?
                    var full = false
                    // The reader's snapshot may already hold a commit whose completion has not yet raised the
                    // published high watermark: return nothing past the watermark, or the consumer's next fetch
                    // would start beyond what the broker admits to and be refused as out of range.
                    let summary = try reader.read(
                        partition: target.partition, from: target.offset,
                        maxRecords: maxRecords, maxBytes: limit
                    ) { view in
                        guard !full, view.offset < bounds.highWatermark else { return }
                        let headers = view.headers
                        let size = view.sizeInBytes
                        let counted = max(size, Self.recordOverheadBytes)
                        let wire = Self.wireSize(
                            keyBytes: view.key?.count ?? 0, valueBytes: view.value?.count ?? 0,
                            headers: headers)
                        let fits =
                            counted <= budget && wire <= wireBudget
                            && (count == 0 || cost + counted <= target.maxBytes)
                        guard fits || !responseHasRecords else {
                            full = true
                            return
                        }
                        records.append(
                            offset: view.offset, timestamp: view.timestamp, key: view.key,
                            value: view.value, headers: headers)
                        responseHasRecords = true
                        count += 1
                        bytes += size
                        cost += counted
                        budget -= counted
                        wireBudget -= wire
                        last = view.offset
                    }
                    records.finish()
                    fetched.records = records
                    fetched.recordCount = count
                    fetched.bytes = bytes
                    fetched.nextOffset = last.map { $0 + 1 }
                    fetched.logStartOffset = max(summary.logStartOffset, bounds.logStart)
                }
            } catch {
                fetched.error = error
            }
            return fetched
        }
    }
}

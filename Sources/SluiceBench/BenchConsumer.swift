import SluiceClient
import SluiceCore
import Synchronization

/// A bench consumer: one `Consumer` polling its share of the partitions, connected and positioned before the clock
/// starts.
struct BenchConsumer: Sendable {
    /// When a consumer has read enough.
    enum Goal: Sendable {
        /// Up to these offsets (exclusive) in its partitions, or `BenchState.total` messages among all consumers.
        case ends([TopicPartition: Int64])
        /// Every message the producers had acknowledged when they finished.
        case produced
    }

    /// How long a consumer waits for the last messages once the producers have finished.
    static let drainSeconds: UInt64 = 10

    let consumer: Consumer
    let partitions: [TopicPartition]
    let goal: Goal
    let state: BenchState
    /// Per poll (`.ends`) or from each message's send time to its arrival (`.produced`).
    let latency: BenchLatency

    /// Connects `count` consumers and shares `partitions` out among them in turn; each starts at the first record
    /// still stored (`fromBeginning`) or at the end.
    static func connect(
        _ count: Int, socketPath: String, partitions: [TopicPartition], fromBeginning: Bool, goal: Goal,
        state: BenchState
    ) async throws(SluiceError) -> [BenchConsumer] {
        var consumers: [BenchConsumer] = []
        for index in 0..<count {
            let share = partitions.enumerated().filter { $0.offset % count == index }.map(\.element)
            let consumer = try await Consumer.connect(
                socketPath: socketPath,
                configuration: ConsumerConfiguration(autoOffsetReset: fromBeginning ? .earliest : .latest))
            await consumer.assign(share)
            for tp in share { try await consumer.seek(tp, to: fromBeginning ? .beginning : .end) }
            consumers.append(
                BenchConsumer(
                    consumer: consumer, partitions: share, goal: goal, state: state, latency: BenchLatency()))
        }
        return consumers
    }

    func run() async {
        var lastRecord = BenchClock.now()
        // Per partition number, the offset after the last record counted.
        var nextOffsets = [Int64](repeating: 0, count: Int(partitions.map(\.partition).max() ?? -1) + 1)
        while true {
            let start = BenchClock.now()
            let records: [ConsumedRecord]
            do {
                records = try await consumer.poll(maxWaitMs: 100)
            } catch {
                state.fail(error)
                return
            }
            let end = BenchClock.now()
            if !records.isEmpty {
                lastRecord = end
                var (count, bytes, duplicates) = (0, 0, 0)
                for record in records {
                    // A record at or below one already seen is counted apart, not as a message (see
                    // `BenchState.duplicates`).
                    let index = Int(record.partition)
                    if index < nextOffsets.count {
                        guard record.offset >= nextOffsets[index] else {
                            duplicates += 1
                            continue
                        }
                        nextOffsets[index] = record.offset + 1
                    }
                    count += 1
                    bytes += record.record.value?.count ?? 0
                    if case .produced = goal, let sent = BenchPayload.sendTime(of: record.record.value), sent <= end {
                        latency.record(end &- sent)
                    }
                }
                if duplicates > 0 { state.duplicates.add(duplicates, ordering: .relaxed) }
                state.consumedBytes.add(bytes, ordering: .relaxed)
                let consumed = state.consumed.add(count, ordering: .relaxed).newValue
                if case .ends = goal {
                    latency.record(end &- start)
                    if consumed >= state.total { return }
                }
            }
            if await isDone(since: lastRecord) { return }
        }
    }

    private func isDone(since lastRecord: UInt64) async -> Bool {
        switch goal {
        case .ends(let ends):
            if state.isStopped || state.consumed.load(ordering: .relaxed) >= state.total { return true }
            for tp in partitions {
                guard let end = ends[tp] else { continue }
                if let position = await consumer.position(tp), position < end { return false }
            }
            return true
        case .produced:
            guard state.sendingDone.load(ordering: .acquiring) else { return false }
            if state.consumed.load(ordering: .relaxed) >= state.acknowledged.load(ordering: .relaxed) { return true }
            let quiet = BenchClock.now() &- lastRecord
            // After an error or Ctrl-C, acknowledged messages that have not come by now are not waited for.
            if state.isStopped, quiet > 2_000_000_000 { return true }
            if quiet > Self.drainSeconds * 1_000_000_000 {
                state.fail(
                    SluiceError(
                        .timeout,
                        """
                        \(state.acknowledged.load(ordering: .relaxed) - state.consumed.load(ordering: .relaxed)) \
                        acknowledged messages did not arrive within \(Self.drainSeconds) s
                        """))
                return true
            }
            return false
        }
    }

    func close() async {
        await consumer.close()
    }
}

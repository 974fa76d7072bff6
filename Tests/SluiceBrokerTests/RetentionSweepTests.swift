import Foundation
import SluiceBroker
import SluiceCore
import Synchronization
import Testing

/// A wall clock the test moves by hand.
final class TestClock: Sendable {
    private let millis: Atomic<Int64>

    init(_ start: Int64) { millis = Atomic(start) }

    var now: Int64 { millis.load(ordering: .acquiring) }

    func advance(by delta: Int64) { millis.add(delta, ordering: .acquiringAndReleasing) }
}

/// The retention sweeper through the broker, on real SQLite files, with an injected wall clock: simulated days
/// pass in milliseconds of real time.
@Suite struct RetentionSweepTests {
    let directory: String
    let clock = TestClock(1_700_000_000_000)
    /// Wakes at least every 20 ms of real time, so that moving the clock is noticed at once.
    let settings = SweeperSettings(maxIntervalMs: 20, compactionDelayMs: 100)

    init() {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-retention-\(UUID().uuidString)").path
    }

    func openBroker() throws -> Broker {
        let clock = self.clock
        return try Broker(dataDirectory: directory, wallClock: { clock.now }, sweeper: settings)
    }

    func cleanUp(_ broker: Broker) async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Polls `condition` until it holds (sweeps run on broker threads); gives up after a few seconds.
    func eventually(
        _ what: Comment, _ condition: () async throws -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            if ContinuousClock.now > deadline {
                Issue.record("timed out waiting: \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func bounds(_ broker: Broker, _ topic: String = "t", partition: Int = 0) async throws -> (start: Int64, next: Int64)
    {
        let partitions = try await broker.metadata([topic])[0].result.get()
        return (partitions[partition].logStartOffset, partitions[partition].nextOffset)
    }

    func produce(_ broker: Broker, _ records: [ProducerRecord], topic: String = "t") async throws -> Int64 {
        try await broker.produce([ProduceBatch(topic: topic, partition: 0, records: records)])[0].result.get()
            .baseOffset
    }

    func fetch(_ broker: Broker, from offset: Int64, topic: String = "t") async -> FetchedPartition {
        await broker.fetch(
            FetchSpec(
                targets: [FetchTarget(topic: topic, partition: 0, offset: offset, maxBytes: 1 << 20)],
                maxWaitMs: 0))[0]
    }

    func tenBytes(_ i: Int, timestamp: Int64? = nil) -> ProducerRecord {
        ProducerRecord(
            key: Array(String(format: "%02d", i % 100).utf8), value: Array(String(format: "v%07d", i).utf8),
            timestamp: timestamp)
    }

    // MARK: - Policies

    /// Age: only records older than retention.ms go, in offset order; a fetch below the new log start is refused.
    @Test func ageRetentionDeletesExpiredRecordsOnly() async throws {
        let broker = try openBroker()
        let now = clock.now
        try await broker.createTopic("t", config: TopicConfig(retentionMs: 10_000, retentionBytes: nil))
        let old = (0..<5).map { tenBytes($0, timestamp: now - 60_000) }
        let recent = (5..<10).map { tenBytes($0, timestamp: now - 5_000) }
        let farPast = tenBytes(10, timestamp: now - 100_000)
        _ = try await produce(broker, old + recent + [farPast, tenBytes(11)])

        clock.advance(by: 100)
        try await eventually("the five old records go") { try await bounds(broker).start == 5 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await bounds(broker) == (5, 12), "nothing younger goes, and the far-past record waits its turn")

        let below = await fetch(broker, from: 4)
        #expect(below.error?.code == .offsetOutOfRange)
        #expect(below.logStartOffset == 5)
        let kept = await fetch(broker, from: 5)
        #expect(kept.records.map(\.offset) == Array(5..<12))

        // 5 s later the recent ones are older than 10 s, and the far-past one goes with them; the last, stamped
        // at append time, stays.
        clock.advance(by: 5_000)
        try await eventually("the recent records and the far-past one go") { try await bounds(broker).start == 11 }
        #expect(await fetch(broker, from: 11).records.map(\.offset) == [11])
        await cleanUp(broker)
    }

    /// A topic with retention.ms of a minute is empty a simulated minute and a bit later, without waiting for it.
    @Test func aOneMinuteRetentionTopicEmptiesWithoutWaitingAMinute() async throws {
        let broker = try openBroker()
        try await broker.createTopic("t", config: TopicConfig(retentionMs: 60_000))
        _ = try await produce(broker, (0..<100).map { tenBytes($0) })
        clock.advance(by: 30_000)
        try await Task.sleep(for: .milliseconds(60))
        #expect(try await bounds(broker).start == 0)
        clock.advance(by: 90_000)
        let advanced = ContinuousClock.now
        try await eventually("every record goes") { try await bounds(broker) == (100, 100) }
        #expect(ContinuousClock.now - advanced < .seconds(20), "the sweeper waits for the clock, not for real time")
        await cleanUp(broker)
    }

    /// Size: a commit that takes a partition over retention.bytes has it cut back to the limit promptly, with
    /// no time passing.
    @Test func sizeLimitIsEnforcedRightAfterACommit() async throws {
        let broker = try openBroker()
        try await broker.createTopic("t", config: TopicConfig(retentionMs: nil, retentionBytes: 100))
        _ = try await produce(broker, (0..<15).map { tenBytes($0) })
        try await eventually("the partition is cut back to 100 bytes") { try await bounds(broker).start == 5 }
        #expect(try await broker.describeTopic("t").partitions[0].sizeBytes == 100)
        _ = try await produce(broker, [tenBytes(15)])
        try await eventually("one more goes") { try await bounds(broker).start == 6 }
        #expect(try await broker.describeTopic("t").partitions[0].sizeBytes == 100)
        await cleanUp(broker)
    }

    @Test func countLimitKeepsTheLastRecords() async throws {
        let broker = try openBroker()
        try await broker.createTopic(
            "t", config: TopicConfig(retentionMs: nil, retentionBytes: nil, retentionRecords: 4))
        _ = try await produce(broker, (0..<10).map { tenBytes($0) })
        try await eventually("six go") { try await bounds(broker).start == 6 }
        try await Task.sleep(for: .milliseconds(60))
        #expect(try await bounds(broker) == (6, 10))
        await cleanUp(broker)
    }

    /// Offsets keep growing after a sweep, and after the broker is reopened.
    @Test func offsetsKeepGrowingAfterASweepAndARestart() async throws {
        do {
            let broker = try openBroker()
            try await broker.createTopic(
                "t", config: TopicConfig(retentionMs: nil, retentionBytes: nil, retentionRecords: 2))
            _ = try await produce(broker, (0..<10).map { tenBytes($0) })
            try await eventually("eight go") { try await bounds(broker).start == 8 }
            #expect(try await produce(broker, [tenBytes(10)]) == 10)
            try await eventually("one more goes") { try await bounds(broker).start == 9 }
            await broker.shutdown()
        }
        let broker = try await Broker.reopening(directory, with: openBroker)
        #expect(try await bounds(broker) == (9, 11))
        #expect(try await produce(broker, [tenBytes(11)]) == 11)
        #expect(await fetch(broker, from: 8).error?.code == .offsetOutOfRange)
        await cleanUp(broker)
    }

    /// Compaction: the latest per key stays, in order, with keyless records; the tombstone only goes after
    /// delete.retention.ms.
    @Test func compactionKeepsTheLatestPerKeyAndDropsTombstonesAfterTheDelay() async throws {
        let broker = try openBroker()
        try await broker.createTopic("t", config: TopicConfig(cleanupPolicy: .compact, deleteRetentionMs: 1_000))
        let pairs: [(String?, String?)] = [
            ("a", "1"), ("b", "1"), (nil, "x"), ("a", "2"), ("b", "2"), (nil, "y"), ("a", "3"), ("c", "1"), ("c", nil),
        ]
        _ = try await produce(
            broker, pairs.map { ProducerRecord(key: $0.0.map { Array($0.utf8) }, value: $0.1.map { Array($0.utf8) }) })
        func stored() async -> [String] {
            await fetch(broker, from: 0).records.map { record in
                "\(record.offset) \(record.key.map { String(decoding: $0, as: UTF8.self) } ?? "-")="
                    + (record.value.map { String(decoding: $0, as: UTF8.self) } ?? "nil")
            }
        }
        #expect(await stored().count == 9, "compaction waits for its delay")
        clock.advance(by: 150)
        try await eventually("compaction runs") { await stored().count == 5 }
        #expect(await stored() == ["2 -=x", "4 b=2", "5 -=y", "6 a=3", "8 c=nil"])
        #expect(try await bounds(broker) == (0, 9))

        clock.advance(by: 800)
        try await Task.sleep(for: .milliseconds(60))
        #expect(await stored().last == "8 c=nil", "the tombstone stays for delete.retention.ms")
        clock.advance(by: 100)
        try await eventually("the tombstone goes") { await stored().count == 4 }
        #expect(await stored() == ["2 -=x", "4 b=2", "5 -=y", "6 a=3"])
        await cleanUp(broker)
    }

    /// Settings changed on a live topic apply at once, and compaction can be switched on.
    @Test func settingsChangedLiveTakeEffect() async throws {
        let broker = try openBroker()
        try await broker.createTopic("t", config: TopicConfig(retentionMs: nil, retentionBytes: nil))
        _ = try await produce(broker, (0..<10).map { tenBytes($0 % 3) })
        try await Task.sleep(for: .milliseconds(60))
        #expect(try await bounds(broker) == (0, 10))

        try await broker.alterTopic("t") { $0.retentionRecords = 7 }
        try await eventually("three go") { try await bounds(broker).start == 3 }

        try await broker.alterTopic("t") { $0.cleanupPolicy = [.compact, .delete] }
        try await eventually("compaction keeps one record per key") { await fetch(broker, from: 3).records.count == 3 }
        #expect(await fetch(broker, from: 3).records.map(\.offset) == [7, 8, 9])

        try await broker.alterTopic("t") { $0.retentionMs = 1_000 }
        clock.advance(by: 2_000)
        try await eventually("everything expires") { try await bounds(broker).start == 10 }
        await cleanUp(broker)
    }

    // MARK: - Disk space

    /// About 100 MB written, then dropped by retention: the topic's files fall to a small fraction.
    @Test func filesShrinkAfterALargeDeletion() async throws {
        let broker = try openBroker()
        try await broker.createTopic("t", config: TopicConfig(retentionMs: 60_000, durability: .normal))
        let value = [UInt8](repeating: 0x33, count: 2_000)
        for batch in 0..<100 {
            _ = try await produce(
                broker, (0..<500).map { ProducerRecord(key: Array("\(batch)-\($0)".utf8), value: value) })
        }
        let files = ["", "-wal", "-shm"].map { "\(directory)/topics/t.db\($0)" }
        func diskSize() -> Int64 {
            files.reduce(0) { total, path in
                total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
            }
        }
        let full = diskSize()
        #expect(full > 100_000_000)

        clock.advance(by: 61_000)
        try await eventually("every record goes") { try await bounds(broker) == (50_000, 50_000) }
        try await eventually("the files shrink below 5% of their size") { diskSize() < full / 20 }
        await cleanUp(broker)
    }
}

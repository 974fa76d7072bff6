import Foundation
import SluiceBroker
import SluiceCore
import Synchronization
import Testing

/// A waiting fetch honours `minBytes`: it is answered once that many record bytes are available across its
/// partitions, or at `maxWaitMs`, not at the first commit.
@Suite struct FetchMinBytesTests {
    let directory: String
    let broker: Broker

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-minbytes-\(UUID().uuidString)").path
        broker = try Broker(dataDirectory: directory)
    }

    func cleanUp() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Ten bytes per record.
    func produce(_ partition: Int32, count: Int) async {
        let records = (0..<count).map { _ in ProducerRecord(value: Array("0123456789".utf8)) }
        _ = await broker.produce([ProduceBatch(topic: "t", partition: partition, records: records)])
    }

    @Test func theWaitEndsOnlyOnceMinBytesAreAvailableAcrossPartitions() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 2))
        let answered = Mutex<[FetchedPartition]?>(nil)
        let spec = FetchSpec(
            targets: [
                FetchTarget(topic: "t", partition: 0, offset: 0, maxBytes: 1 << 20),
                FetchTarget(topic: "t", partition: 1, offset: 0, maxBytes: 1 << 20),
            ],
            maxWaitMs: 120_000, minBytes: 100)
        let started = ContinuousClock.now
        broker.fetch(spec) { results in answered.withLock { $0 = results } }
        // 40 bytes on one partition, then 50 on the other: 90 in all, still short.
        await produce(0, count: 4)
        await produce(1, count: 5)
        try await Task.sleep(for: .milliseconds(300))
        #expect(answered.withLock { $0 } == nil)
        // 10 more: 100.
        await produce(0, count: 1)
        let deadline = ContinuousClock.now + .seconds(60)
        while answered.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let results = try #require(answered.withLock { $0 })
        #expect(results.map(\.recordCount) == [5, 5])
        #expect(results.reduce(0) { $0 + $1.bytes } == 100)
        // Answered by the commit that completed minBytes, not at maxWaitMs (120 s); the bound leaves a loaded
        // machine's commits room.
        #expect(ContinuousClock.now - started < .seconds(60))
        await cleanUp()
    }

    @Test func aFetchShortOfMinBytesIsAnsweredAtMaxWaitWithWhatThereIs() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let started = ContinuousClock.now
        async let fetched = broker.fetch(
            FetchSpec(
                targets: [FetchTarget(topic: "t", partition: 0, offset: 0, maxBytes: 1 << 20)], maxWaitMs: 400,
                minBytes: 1000))
        try await Task.sleep(for: .milliseconds(50))
        await produce(0, count: 3)
        let results = await fetched
        #expect(results[0].recordCount == 3)
        #expect(ContinuousClock.now - started >= .milliseconds(390))
        await cleanUp()
    }

    @Test func minBytesAboveWhatTheResponseMayHoldDoesNotWaitForever() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        await produce(0, count: 10)
        let started = ContinuousClock.now
        // 100 bytes stored, but the partition may return only 20 (one record, with the per-record overhead): the
        // answer cannot grow, so it comes at once.
        let results = await broker.fetch(
            FetchSpec(
                targets: [FetchTarget(topic: "t", partition: 0, offset: 0, maxBytes: 20)], maxWaitMs: 120_000,
                minBytes: 50))
        #expect(results[0].recordCount >= 1)
        #expect(ContinuousClock.now - started < .seconds(60))  // not at maxWaitMs (120 s)
        await cleanUp()
    }
}

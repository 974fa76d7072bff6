import Foundation
import SluiceBroker
import SluiceCore
import Synchronization
import Testing

/// The broker over real SQLite files in a temporary directory.
@Suite struct BrokerTests {
    let directory: String
    let broker: Broker

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-broker-\(UUID().uuidString)").path
        broker = try Broker(dataDirectory: directory)
    }

    func cleanUp() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func records(_ values: [String]) -> [ProducerRecord] {
        values.map { ProducerRecord(value: Array($0.utf8)) }
    }

    @Test func concurrentProducesGetContiguousOffsetsPerPartition() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 2))
        let outcomes = await withTaskGroup(of: [ProduceOutcome].self) { group in
            for index in 0..<200 {
                group.addTask {
                    await broker.produce([
                        ProduceBatch(topic: "t", partition: Int32(index % 2), records: records(["a", "b"]))
                    ])
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        for partition in Int32(0)..<2 {
            let bases = outcomes.filter { $0.partition == partition }.map { try! $0.result.get().baseOffset }.sorted()
            #expect(bases == stride(from: 0, to: 200, by: 2).map(Int64.init))
        }
        let metadata = await broker.metadata(["t"])
        #expect(try metadata[0].result.get().map(\.nextOffset) == [200, 200])
        await cleanUp()
    }

    @Test func fetchWaitsForACommitAndWakesOnIt() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let answered = Atomic<Bool>(false)
        let fetch = Task {
            let result = await broker.fetch(
                FetchSpec(
                    targets: [FetchTarget(topic: "t", partition: 0, offset: 0, maxBytes: 1 << 20)],
                    maxWaitMs: 30_000))
            answered.store(true, ordering: .releasing)
            return result
        }
        try await Task.sleep(for: .milliseconds(200))
        let early = answered.load(ordering: .acquiring)
        #expect(!early)
        let start = ContinuousClock.now
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records(["x"]))])
        let fetched = await fetch.value
        // Woken by the commit, not by the 30 s deadline (the margin allows for a loaded machine).
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(fetched[0].records.map(\.offset) == [0])
        await cleanUp()
    }

    /// A sink that keeps only offsets and values, as a protocol adapter encoding records would.
    struct OffsetsAndValues: FetchRecordSink {
        var entries: [(offset: Int64, value: [UInt8]?)] = []
        init(expectedBytes: Int) {}
        mutating func append(
            offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?,
            value: UnsafeRawBufferPointer?, headers: [Header]
        ) {
            entries.append((offset, value.map { Array($0) }))
        }
    }

    @Test func fetchIntoASinkGetsTheRecordsReadAndWokenByACommit() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records(["a", "bb"]))])
        let spec = { (offset: Int64) in
            FetchSpec(
                targets: [FetchTarget(topic: "t", partition: 0, offset: offset, maxBytes: 1 << 20)], maxWaitMs: 120_000)
        }
        let read: [FetchResult<OffsetsAndValues>] = await withCheckedContinuation { continuation in
            broker.fetch(spec(0), into: OffsetsAndValues.self) { continuation.resume(returning: $0) }
        }
        #expect(read[0].records.entries.map(\.offset) == [0, 1])
        #expect(read[0].records.entries.map(\.value) == [Array("a".utf8), Array("bb".utf8)])
        #expect(read[0].recordCount == 2 && read[0].bytes == 3 && read[0].nextOffset == 2)

        // A fetch at the end waits; the commit that passes it answers it with exactly the committed records.
        let woken = Task {
            let result: [FetchResult<OffsetsAndValues>] = await withCheckedContinuation { continuation in
                broker.fetch(spec(2), into: OffsetsAndValues.self) { continuation.resume(returning: $0) }
            }
            return result
        }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records(["c", "d", "e"]))])
        let fetched = await woken.value
        // Woken by the commit, not the deadline (120 s): the bound leaves a loaded machine's fsyncs room.
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(fetched[0].records.entries.map(\.offset) == [2, 3, 4])
        #expect(fetched[0].highWatermark == 5 && fetched[0].nextOffset == 5)
        await cleanUp()
    }

    @Test func fetchBeyondTheEndIsOutOfRange() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let fetched = await broker.fetch(
            FetchSpec(
                targets: [FetchTarget(topic: "t", partition: 0, offset: 5, maxBytes: 100)],
                maxWaitMs: 0))
        #expect(fetched[0].error?.code == .offsetOutOfRange)
        await cleanUp()
    }

    @Test func membersCommitOutsidersDoNotWhileTheGroupIsLive() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 2))
        let offset = CommittedOffset(topic: "t", partition: 0, offset: 1)
        // Empty group: a standalone commit is fine.
        #expect(try await broker.commitOffsets(group: "g", [offset])[0].1 == nil)
        let member = try broker.joinGroup("g", memberID: "", clientID: "c", topics: ["t"], sessionTimeoutMs: 5000)
        #expect(member.granted.count == 2)
        #expect(try await broker.commitOffsets(group: "g", [offset])[0].1?.code == .unknownMember)
        #expect(
            try await broker.commitOffsets(
                group: "g", memberID: member.memberID, generation: member.generation, [offset])[0].1 == nil)
        #expect(
            try await broker.commitOffsets(
                group: "g", memberID: member.memberID, generation: member.generation - 1,
                [offset])[0].1?.code == .staleGeneration)
        await #expect(throws: SluiceError.self) { try await broker.deleteGroup("g") }
        broker.leaveGroup("g", memberID: member.memberID)
        try await broker.deleteGroup("g")
        await cleanUp()
    }

    @Test func describeGroupReportsLag() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        _ = await broker.produce([
            ProduceBatch(topic: "t", partition: 0, records: records(Array(repeating: "v", count: 10)))
        ])
        _ = try await broker.commitOffsets(group: "g", [CommittedOffset(topic: "t", partition: 0, offset: 4)])
        let description = try await broker.describeGroup("g")
        #expect(description.state == .empty)
        #expect(description.partitions.map(\.lag) == [6])
        #expect(description.partitions.map(\.committedOffset) == [4])
        #expect(description.partitions.map(\.endOffset) == [10])
        let reset = try await broker.resetOffsets(group: "g", topic: "t", to: .latest)
        #expect(reset.map(\.offset) == [10])
        await cleanUp()
    }

    @Test func deletedTopicCanBeCreatedAgainFromZero() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records(["a", "b"]))])
        try await broker.deleteTopic("t")
        let gone = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records(["c"]))])
        #expect(throws: SluiceError.self) { try gone[0].result.get() }
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let again = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records(["c"]))])
        #expect(try again[0].result.get().baseOffset == 0)
        await cleanUp()
    }
}

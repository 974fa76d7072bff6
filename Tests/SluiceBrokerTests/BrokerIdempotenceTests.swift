import Foundation
import SluiceBroker
import SluiceCore
import Testing

/// `Broker.initProducerID` and idempotent produce through the broker, over real SQLite files.
@Suite struct BrokerIdempotenceTests {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("sluice-broker-\(UUID().uuidString)").path

    private func records(_ count: Int) -> [ProducerRecord] {
        (0..<count).map { ProducerRecord(value: Array("v\($0)".utf8)) }
    }

    private func reopen() async throws -> Broker { try await Broker.reopening(directory) }

    @Test func producerIDsAreUniqueAndNeverReusedAfterARestart() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var ids: [ProducerIdentity] = []
        do {
            let first = try Broker(dataDirectory: directory)
            ids = try await withThrowingTaskGroup(of: ProducerIdentity.self) { group in
                for _ in 0..<20 { group.addTask { try await first.initProducerID() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            await first.shutdown()
        }
        #expect(Set(ids.map(\.producerID)).count == 20)
        #expect(ids.allSatisfy { $0.epoch == 0 })
        let second = try await reopen()
        let after = try await second.initProducerID()
        #expect(after.producerID > ids.map(\.producerID).max()!)
        await second.shutdown()
    }

    /// Ids come from blocks of 1,000 reserved in the catalog: 2,500 calls reserve three, and a broker opened
    /// again starts after the third, skipping the 500 never handed out.
    @Test func producerIDsComeInBlocksThatARestartSkips() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let first = try Broker(dataDirectory: directory)
            var ids: [Int64] = []
            for _ in 0..<2500 { ids.append(try await first.initProducerID().producerID) }
            #expect(ids == Array(0..<2500))
            // The last id handed out is known to produce; the next, not yet handed out, is not.
            try await first.createTopic("t", config: TopicConfig(partitions: 1))
            let unknown = ProduceBatch(
                topic: "t", partition: 0, records: records(1),
                sequence: BatchSequence(producerID: 2500, epoch: 0, baseSequence: 0))
            if case .failure(let error) = await first.produce([unknown])[0].result {
                #expect(error.code == .unknownProducerID)
            } else {
                Issue.record("an id not yet handed out was accepted")
            }
            await first.shutdown()
        }
        let second = try await reopen()
        #expect(try await second.initProducerID().producerID == 3000)
        await second.shutdown()
    }

    @Test func aResentBatchIsStoredOnceAndUnknownProducersAreRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try Broker(dataDirectory: directory)
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let identity = try await broker.initProducerID()
        let batch = ProduceBatch(
            topic: "t", partition: 0, records: records(3),
            sequence: BatchSequence(identity, baseSequence: 0))
        let first = try await broker.produce([batch])[0].result.get()
        let again = try await broker.produce([batch])[0].result.get()
        #expect(!first.duplicate && again.duplicate)
        #expect(again.baseOffset == first.baseOffset && again.logAppendTime == first.logAppendTime)
        #expect(try await broker.metadata(["t"])[0].result.get()[0].nextOffset == 3)

        let stranger = ProduceBatch(
            topic: "t", partition: 0, records: records(1),
            sequence: BatchSequence(producerID: identity.producerID + 1, epoch: 0, baseSequence: 0))
        let refused = await broker.produce([stranger, ProduceBatch(topic: "t", partition: 0, records: records(1))])
        if case .failure(let error) = refused[0].result {
            #expect(error.code == .unknownProducerID)
        } else {
            Issue.record("a producer id never handed out was accepted")
        }
        #expect(try refused[1].result.get().baseOffset == 3)
        await broker.shutdown()
    }
}

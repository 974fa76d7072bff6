import Foundation
import SluiceBroker
import SluiceCore
import Testing

/// `Broker.deleteRecords` and `deleteCommittedOffsets` over real SQLite files in a temporary directory.
@Suite struct DeleteRecordsTests {
    let directory: String
    let broker: Broker

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-delete-\(UUID().uuidString)").path
        broker = try Broker(dataDirectory: directory)
    }

    func cleanUp() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func produce(_ count: Int, partition: Int32 = 0) async {
        let records = (0..<count).map { ProducerRecord(value: Array("v\($0)".utf8)) }
        _ = await broker.produce([ProduceBatch(topic: "t", partition: partition, records: records)])
    }

    @Test func theLogStartRisesAndOffsetsKeepGrowing() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 2))
        await produce(10)
        let answers = try await broker.deleteRecords("t", [(0, 4), (1, 0)])
        #expect(try answers.map { try $0.result.get() } == [4, 0])
        let details = try await broker.describeTopic("t").partitions[0]
        #expect(details.logStartOffset == 4 && details.nextOffset == 10)
        // At or below the log start changes nothing; -1 deletes everything stored.
        #expect(try await broker.deleteRecords("t", [(0, 2)])[0].result.get() == 4)
        #expect(try await broker.deleteRecords("t", [(0, -1)])[0].result.get() == 10)
        #expect(try await broker.describeTopic("t").partitions[0].sizeBytes == 0)
        await produce(1)
        #expect(try await broker.metadata(["t"])[0].result.get()[0].nextOffset == 11)
        let earliest = await broker.listOffsets([("t", 0, .earliest)])
        #expect(try earliest[0].result.get().offset == 10)
        await cleanUp()
    }

    @Test func pastTheEndAnUnknownPartitionAndAnUnknownTopicAreRefused() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        await produce(3)
        let answers = try await broker.deleteRecords("t", [(0, 4), (5, 1)])
        #expect(answers.map { $0.result.failure?.code } == [.offsetOutOfRange, .unknownPartition])
        await #expect(throws: SluiceError.self) { try await broker.deleteRecords("missing", [(0, 1)]) }
        #expect(try await broker.describeTopic("t").partitions[0].logStartOffset == 0)
        await cleanUp()
    }

    @Test func offsetsOfSomePartitionsAreForgotten() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 2))
        await produce(3)
        _ = try await broker.commitOffsets(
            group: "g",
            [CommittedOffset(topic: "t", partition: 0, offset: 1), .init(topic: "t", partition: 1, offset: 0)])
        #expect(try await broker.deleteCommittedOffsets(group: "g", [TopicPartition(topic: "t", partition: 0)]) == 1)
        #expect(try await broker.committedOffsets(group: "g").map(\.partition) == [1])
        await cleanUp()
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

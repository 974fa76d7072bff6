import Foundation
import SluiceBroker
import SluiceCore
import Testing

/// `Broker.groupMetrics`: every group with committed offsets, Kafka classic ones included, within the series bound.
@Suite struct GroupMetricsTests {
    let directory: String
    let broker: Broker

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-lag-\(UUID().uuidString)").path
        broker = try Broker(dataDirectory: directory, classicGroups: ClassicGroupCoordinatorTests.settings)
    }

    func cleanUp() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func aClassicGroupsCommitsHaveALag() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        let records = (0..<4).map { ProducerRecord(value: [UInt8($0)]) }
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: records)])
        let joined = await ClassicGroupCoordinatorTests.joinWithHandshake(
            broker.classicGroups, group: "kafka-group", client: "kafka")
        _ = await broker.classicGroups.sync(
            groupID: "kafka-group", generation: joined.generation, memberID: joined.memberID,
            assignments: [ClassicGroupCoordinatorTests.assigned(joined.memberID, "t", [0])])
        let committed = try await broker.commitOffsets(
            group: "kafka-group", memberID: joined.memberID, generation: joined.generation,
            [CommittedOffset(topic: "t", partition: 0, offset: 1)])
        #expect(committed.map { $0.1?.code } == [nil])
        let metrics = await broker.groupMetrics()
        #expect(
            metrics.lags.map { [$0.group, $0.topic, "\($0.partition)", "\($0.lag)"] } == [
                ["kafka-group", "t", "0", "3"]
            ])
        #expect(metrics.lags.first.map { $0.oldestUnconsumedAgeSeconds >= 0 } == true)
        #expect(!metrics.truncated)
        await cleanUp()
    }

    @Test func seriesPastTheBoundAreLeftOut() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: [ProducerRecord(value: [1])])])
        for group in ["a", "b", "c"] {
            _ = try await broker.commitOffsets(group: group, [CommittedOffset(topic: "t", partition: 0, offset: 0)])
        }
        let bounded = await broker.groupMetrics(maxSeries: 5)
        #expect(bounded.lags.map(\.group) == ["a", "b"])
        #expect(bounded.truncated)
        let all = await broker.groupMetrics()
        #expect(all.lags.map(\.group) == ["a", "b", "c"])
        #expect(!all.truncated)
        await cleanUp()
    }
}

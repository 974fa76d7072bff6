import Foundation
import SluiceBroker
import SluiceCore
import Testing

/// The refusals of a native `commitOffsets` that come from the group's state rather than the request's fields: a
/// group Kafka clients hold (the classic protocol) answers `rebalanceInProgress` between its join and its sync, and
/// an offset past the log end is `offsetOutOfRange` on the native path only.
@Suite struct CommitRefusalTests {
    let directory: String
    let broker: Broker

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-commit-\(UUID().uuidString)").path
        broker = try Broker(dataDirectory: directory, classicGroups: ClassicGroupCoordinatorTests.settings)
    }

    func cleanUp() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func aCommitToAClassicGroupBetweenJoinAndSyncIsRebalanceInProgress() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: [ProducerRecord(value: [1])])])
        let joined = await ClassicGroupCoordinatorTests.joinWithHandshake(
            broker.classicGroups, group: "g", client: "kafka")
        #expect(joined.error == .none)
        let offset = [CommittedOffset(topic: "t", partition: 0, offset: 1)]
        let early = try await broker.commitOffsets(
            group: "g", memberID: joined.memberID, generation: joined.generation, offset, refusingPastLogEnd: true)
        #expect(early.map { $0.1?.code } == [.rebalanceInProgress])
        _ = await broker.classicGroups.sync(
            groupID: "g", generation: joined.generation, memberID: joined.memberID,
            assignments: [ClassicGroupCoordinatorTests.assigned(joined.memberID, "t", [0])])
        let synced = try await broker.commitOffsets(
            group: "g", memberID: joined.memberID, generation: joined.generation, offset, refusingPastLogEnd: true)
        #expect(synced.map { $0.1?.code } == [nil])
        await cleanUp()
    }

    @Test func anOffsetPastTheLogEndIsRefusedOnlyWhenAsked() async throws {
        try await broker.createTopic("t", config: TopicConfig(partitions: 1))
        _ = await broker.produce([ProduceBatch(topic: "t", partition: 0, records: [ProducerRecord(value: [1])])])
        let past = [CommittedOffset(topic: "t", partition: 0, offset: 2)]
        let native = try await broker.commitOffsets(group: "n", past, refusingPastLogEnd: true)
        #expect(native.map { $0.1?.code } == [.offsetOutOfRange])
        #expect(try await broker.committedOffsets(group: "n").isEmpty)
        // Kafka's OffsetCommit takes it, as Kafka does.
        let kafka = try await broker.commitOffsets(group: "k", past)
        #expect(kafka.map { $0.1?.code } == [nil])
        #expect(try await broker.committedOffsets(group: "k").map(\.offset) == [2])
        await cleanUp()
    }
}

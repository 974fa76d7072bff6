import Foundation
import SluiceBroker
import SluiceCore
import Testing

/// Topic ids as the broker serves them: from memory, both ways, new for a topic created again, kept across restarts.
@Suite struct TopicIDLookupTests {
    @Test func idsAreLookedUpBothWaysAndSurviveARestart() async throws {
        let directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ids-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (again, b) = try await createAndDelete(in: directory)
        // The first broker is gone (its store and lock with it): a new one reads the ids from the catalog.
        let broker = try await Broker.reopening(directory)
        #expect(broker.topicID(named: "a") == again && broker.topicID(named: "b") == b)
        #expect(broker.topicName(id: b) == "b")
        await broker.shutdown()
    }

    private func createAndDelete(in directory: String) async throws -> (TopicID, TopicID) {
        let broker = try Broker(dataDirectory: directory)
        let created = try await broker.createTopic("a", config: TopicConfig())
        try await broker.createTopic("b", config: TopicConfig(partitions: 2))
        let a = try #require(broker.topicID(named: "a"))
        let b = try #require(broker.topicID(named: "b"))
        #expect(a == created.topicID && a != b && !a.isZero)
        #expect(broker.topicName(id: a) == "a" && broker.topicName(id: b) == "b")
        #expect(broker.topicName(id: .zero) == nil && broker.topicID(named: "missing") == nil)
        #expect(broker.topicIDs(named: ["a", "missing", "b"]) == ["a": a, "b": b])

        try await broker.deleteTopic("a")
        #expect(broker.topicID(named: "a") == nil && broker.topicName(id: a) == nil)
        try await broker.createTopic("a", config: TopicConfig())
        let again = try #require(broker.topicID(named: "a"))
        #expect(again != a, "a topic created again under a name gets a new id")
        await broker.shutdown()
        return (again, b)
    }
}

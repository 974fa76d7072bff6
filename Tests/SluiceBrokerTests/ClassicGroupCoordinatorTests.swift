import Foundation
import SluiceCore
import Testing

@testable import SluiceBroker

/// The classic group coordinator with real tasks and real (short) timers, and the broker around it.
@Suite struct ClassicGroupCoordinatorTests {
    static let settings = ClassicGroupSettings(
        initialRebalanceDelayMs: 50, minSessionTimeoutMs: 10,
        maxSessionTimeoutMs: 60_000)

    /// ConsumerProtocolSubscription v0 for `topics`, no user data: bytes the coordinator only stores and hands
    /// back (the Kafka adapter reads them and passes the topics beside them).
    static func subscription(_ topics: [String]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0] + int32(Int32(topics.count))
        for topic in topics { bytes += string(topic) }
        return bytes + int32(-1)
    }

    /// ConsumerProtocolAssignment v0 for one topic's partitions, no user data.
    static func assignment(_ topic: String, _ partitions: [Int32]) -> [UInt8] {
        [0, 0] + int32(1) + string(topic) + int32(Int32(partitions.count)) + partitions.flatMap(int32) + int32(-1)
    }

    /// A member's assignment as the Kafka adapter hands it over: the bytes and the partitions it read from them.
    static func assigned(_ memberID: String, _ topic: String, _ partitions: [Int32]) -> ClassicAssignment {
        ClassicAssignment(
            memberID: memberID, bytes: assignment(topic, partitions),
            partitions: partitions.map { TopicPartition(topic: topic, partition: $0) })
    }

    static func int32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func string(_ value: String) -> [UInt8] {
        withUnsafeBytes(of: Int16(value.utf8.count).bigEndian) { Array($0) } + Array(value.utf8)
    }

    static func request(
        _ group: String, memberID: String, client: String, session: Int32 = 60_000,
        rebalance: Int32 = 60_000
    ) -> ClassicJoin {
        ClassicJoin(
            groupID: group, memberID: memberID, clientID: client, clientHost: "/10.0.0.7",
            sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, protocolType: "consumer",
            protocols: [ClassicProtocol(name: "range", metadata: subscription(["t"]), subscribedTopics: ["t"])],
            requireKnownMemberID: true)
    }

    /// The KIP-394 handshake then the real join, as a client does it.
    static func joinWithHandshake(
        _ coordinator: ClassicGroupCoordinator, group: String, client: String,
        session: Int32 = 60_000, rebalance: Int32 = 60_000
    ) async -> ClassicJoinResult {
        let first = await coordinator.join(request(group, memberID: "", client: client, session: session))
        #expect(first.error == .memberIDRequired)
        #expect(first.memberID.hasPrefix("\(client)-"))
        return await coordinator.join(
            request(
                group, memberID: first.memberID, client: client, session: session,
                rebalance: rebalance))
    }

    @Test func concurrentJoinsAreAnsweredWithOneGenerationAndOneLeader() async {
        // An initial delay long enough for both joins to land in it, however loaded the machine.
        var settings = Self.settings
        settings.initialRebalanceDelayMs = 3_000
        let coordinator = ClassicGroupCoordinator(settings: settings)
        async let first = Self.joinWithHandshake(coordinator, group: "g", client: "one")
        async let second = Self.joinWithHandshake(coordinator, group: "g", client: "two")
        let answers = await [first, second]
        #expect(answers.allSatisfy { $0.error == .none && $0.generation == 1 })
        #expect(Set(answers.map(\.leaderID)).count == 1)
        let leaders = answers.filter { $0.memberID == $0.leaderID }
        #expect(leaders.count == 1)
        #expect(leaders.first?.members.count == 2)
        guard let leader = leaders.first, let follower = answers.first(where: { $0.memberID != $0.leaderID }) else {
            return
        }

        async let followerSync = coordinator.sync(
            groupID: "g", generation: 1, memberID: follower.memberID,
            assignments: [])
        try? await Task.sleep(for: .milliseconds(20))
        let leaderSync = await coordinator.sync(
            groupID: "g", generation: 1, memberID: leader.memberID,
            assignments: [Self.assigned(leader.memberID, "t", [0]), Self.assigned(follower.memberID, "t", [1])])
        #expect(leaderSync.assignment == Self.assignment("t", [0]))
        #expect(await followerSync.assignment == Self.assignment("t", [1]))
        #expect(coordinator.heartbeat(groupID: "g", generation: 1, memberID: follower.memberID) == .none)
        #expect(coordinator.describe("g")?.state == "Stable")
    }

    @Test func aCancelledHeldJoinIsAnsweredAndTheGroupStaysConsistent() async {
        let coordinator = ClassicGroupCoordinator(settings: Self.settings)
        let only = await Self.joinWithHandshake(coordinator, group: "g", client: "one")
        #expect(only.generation == 1)
        _ = await coordinator.sync(groupID: "g", generation: 1, memberID: only.memberID, assignments: [])
        // A second member's join is held until the first rejoins, which it does not do yet.
        let held = Task { await Self.joinWithHandshake(coordinator, group: "g", client: "two") }
        while coordinator.describe("g")?.state != "PreparingRebalance" { try? await Task.sleep(for: .milliseconds(5)) }
        held.cancel()
        let answer = await held.value
        #expect(answer.error == .rebalanceInProgress)
        #expect(coordinator.heartbeat(groupID: "g", generation: 1, memberID: only.memberID) == .rebalanceInProgress)
        // The cancelled member is still a member (as in Kafka, until it rejoins, leaves or times out); once it
        // leaves, the first member's rejoin completes the rebalance alone.
        let others = coordinator.describe("g")?.members.map(\.memberID).filter { $0 != only.memberID } ?? []
        #expect(others.count == 1)
        _ = coordinator.leave(groupID: "g", memberIDs: others)
        let rejoin = await coordinator.join(Self.request("g", memberID: only.memberID, client: "one"))
        #expect(rejoin.generation == 2)
        #expect(rejoin.members.map(\.memberID) == [only.memberID])
    }

    @Test func stoppingAnswersHeldRequests() async {
        let coordinator = ClassicGroupCoordinator(
            settings: ClassicGroupSettings(
                initialRebalanceDelayMs: 60_000, minSessionTimeoutMs: 10, maxSessionTimeoutMs: 60_000))
        let held = Task { await Self.joinWithHandshake(coordinator, group: "g", client: "one") }
        while coordinator.describe("g")?.state != "PreparingRebalance" { try? await Task.sleep(for: .milliseconds(5)) }
        coordinator.stop()
        #expect(await held.value.error == .coordinatorNotAvailable)
        #expect(!coordinator.holds("g"))
        let late = await coordinator.join(Self.request("g", memberID: "", client: "two"))
        #expect(late.error == .coordinatorNotAvailable)
    }

    @Test func anExpiredSessionEmptiesTheGroupOnItsOwn() async throws {
        let coordinator = ClassicGroupCoordinator(settings: Self.settings)
        let member = await Self.joinWithHandshake(coordinator, group: "g", client: "one", session: 100)
        #expect(member.generation == 1)
        // Nothing heartbeats from here: the timer alone must remove the member (and with it the group).
        let start = ContinuousClock.now
        while coordinator.holds("g"), ContinuousClock.now - start < .seconds(5) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!coordinator.holds("g"))
        #expect(coordinator.heartbeat(groupID: "g", generation: 1, memberID: member.memberID) == .unknownMemberID)
        // A new member under the same client id starts the group again at generation 1, under another id: the
        // expired one stays fenced (KIP-394 ids), for heartbeats and commits alike.
        let next = await Self.joinWithHandshake(coordinator, group: "g", client: "one", session: 10_000)
        #expect(next.generation == 1 && next.memberID != member.memberID)
        #expect(coordinator.heartbeat(groupID: "g", generation: 1, memberID: member.memberID) == .unknownMemberID)
        if case .failure(let error)? = coordinator.permission(groupID: "g", generation: 1, memberID: member.memberID) {
            #expect(error == .unknownMemberID)
        } else {
            Issue.record("the expired member's commit was allowed")
        }
        coordinator.stop()
    }

    // MARK: - Broker

    @Test func brokerChecksClassicCommitsAndDescribesKafkaGroups() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-classic-\(UUID().uuidString)"
        ).path
        let broker = try Broker(dataDirectory: directory, classicGroups: Self.settings)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await broker.createTopic("t", config: TopicConfig(partitions: 2))
        _ = await broker.produce([
            ProduceBatch(
                topic: "t", partition: 0,
                records: (0..<5).map { _ in
                    ProducerRecord(value: [1])
                })
        ])

        let member = await Self.joinWithHandshake(broker.classicGroups, group: "kg", client: "rdkafka")
        #expect(member.generation == 1)
        let synced = await broker.classicGroups.sync(
            groupID: "kg", generation: 1, memberID: member.memberID,
            assignments: [Self.assigned(member.memberID, "t", [0, 1])])
        #expect(synced.error == .none)

        let offset = CommittedOffset(topic: "t", partition: 0, offset: 3, metadata: "librdkafka")
        let stored = try await broker.commitOffsets(group: "kg", memberID: member.memberID, generation: 1, [offset])
        #expect(stored.allSatisfy { $0.1 == nil })
        #expect(try await broker.committedOffsets(group: "kg") == [offset])
        let stale = try await broker.commitOffsets(
            group: "kg", memberID: member.memberID, generation: 0,
            [CommittedOffset(topic: "t", partition: 0, offset: 4)])
        #expect(stale.first?.1?.code == .staleGeneration)
        let outsider = try await broker.commitOffsets(
            group: "kg", [CommittedOffset(topic: "t", partition: 0, offset: 4)])
        #expect(outsider.first?.1?.code == .unknownMember)
        #expect(try await broker.committedOffsets(group: "kg").first?.offset == 3)

        let description = try await broker.describeGroup("kg")
        #expect(description.state == .stable && description.generation == 1)
        #expect(description.members.map(\.memberID) == [member.memberID])
        #expect(description.members.first?.clientID == "rdkafka")
        #expect(description.members.first?.clientHost == "/10.0.0.7")
        #expect(description.members.first?.topics == ["t"])
        #expect(
            description.members.first?.owned == [
                TopicPartition(topic: "t", partition: 0),
                TopicPartition(topic: "t", partition: 1),
            ])
        let first = description.partitions.first { $0.partition == 0 }
        #expect(first?.owner == member.memberID && first?.committedOffset == 3 && first?.lag == 2)
        let listed = try await broker.listGroups().first { $0.group == "kg" }
        #expect(listed?.state == .stable && listed?.members == 1)

        // One group id, one kind of group.
        await #expect(throws: SluiceError.self) {
            try await broker.deleteGroup("kg")
        }
        #expect(throws: SluiceError.self) {
            try broker.joinGroup("kg", memberID: "", clientID: "native", topics: ["t"], sessionTimeoutMs: 10_000)
        }
        _ = try broker.joinGroup("ng", memberID: "", clientID: "native", topics: ["t"], sessionTimeoutMs: 10_000)
        let refused = await broker.classicGroups.join(Self.request("ng", memberID: "", client: "kafka"))
        #expect(refused.error == .inconsistentGroupProtocol)
        await broker.shutdown()
    }
}

import SluiceCore
import Testing

@testable import SluiceBroker

/// What a classic group keeps of a member whose connection closed.
@Suite struct ClassicGroupConnectionTests {
    static func join(_ memberID: String, connection: UInt64) -> ClassicJoin {
        var join = ClassicGroupCoordinatorTests.request("g", memberID: memberID, client: "one")
        join.connection = connection
        join.protocols[0].metadata += [UInt8](repeating: 7, count: 100_000)
        return join
    }

    @Test func aClosedConnectionDropsItsMembersMetadataAndKeepsTheMembers() async {
        let coordinator = ClassicGroupCoordinator(settings: ClassicGroupCoordinatorTests.settings)
        let first = await coordinator.join(Self.join("", connection: 7))
        #expect(first.error == .memberIDRequired)
        let joined = await coordinator.join(Self.join(first.memberID, connection: 7))
        #expect(joined.error == .none)
        #expect(joined.members.first?.metadata.count ?? 0 > 100_000)
        _ = await coordinator.sync(
            groupID: "g", generation: joined.generation, memberID: joined.memberID, assignments: [])
        #expect(coordinator.describe("g")?.members.first?.metadata.count ?? 0 > 100_000)

        // Another connection closing changes nothing.
        coordinator.connectionClosed(8)
        #expect(coordinator.describe("g")?.members.first?.metadata.count ?? 0 > 100_000)

        coordinator.connectionClosed(7)
        let member = coordinator.describe("g")?.members.first
        #expect(member?.memberID == joined.memberID, "still a member until it leaves or its session expires")
        #expect(member?.metadata == [])
        #expect(member?.subscribedTopics == ["t"])
        #expect(
            coordinator.heartbeat(groupID: "g", generation: joined.generation, memberID: joined.memberID) == .none)

        // Leaving removes it, and the group with it.
        #expect(coordinator.leave(groupID: "g", memberIDs: [joined.memberID]).error == .none)
        #expect(coordinator.describe("g") == nil)
    }
}

/// What all members of one classic group may hold together.
@Suite struct ClassicGroupMetadataLimitTests {
    @Test func aJoinThatWouldTakeTheGroupPastItsMetadataLimitIsRefused() async {
        var settings = ClassicGroupCoordinatorTests.settings
        settings.maxGroupMetadataBytes = 250_000
        let coordinator = ClassicGroupCoordinator(settings: settings)
        func join(_ memberID: String, client: String) -> ClassicJoin {
            var join = ClassicGroupCoordinatorTests.request("g", memberID: memberID, client: client)
            join.protocols[0].metadata += [UInt8](repeating: 7, count: 100_000)
            join.requireKnownMemberID = false
            return join
        }
        async let one = coordinator.join(join("", client: "one"))
        async let two = coordinator.join(join("", client: "two"))
        let answers = await [one, two]
        #expect(answers.allSatisfy { $0.error == .none })
        // A third 100 KB member would take the group past 250,000 bytes.
        let third = await coordinator.join(join("", client: "three"))
        #expect(third.error == .groupMaxSizeReached)
        #expect(coordinator.describe("g")?.members.count == 2)
    }
}

import SluiceCore
import Testing

@testable import SluiceBroker

/// The classic group state machine alone, with time passed in by hand.
@Suite struct ClassicGroupTests {
    static let range = ClassicProtocol(name: "range", metadata: [0, 0, 0, 0, 0, 0])
    static let roundRobin = ClassicProtocol(name: "roundrobin", metadata: [0, 0, 0, 0, 0, 1])
    let settings = ClassicGroupSettings(
        initialRebalanceDelayMs: 100, minSessionTimeoutMs: 10,
        maxSessionTimeoutMs: 100_000)

    func request(
        _ memberID: String, client: String = "c", protocolType: String = "consumer",
        protocols: [ClassicProtocol] = [range, roundRobin], session: Int32 = 1_000,
        rebalance: Int32 = 2_000, v4: Bool = true
    ) -> ClassicJoin {
        ClassicJoin(
            groupID: "g", memberID: memberID, clientID: client, clientHost: "/127.0.0.1",
            sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, protocolType: protocolType,
            protocols: protocols, requireKnownMemberID: v4)
    }

    func join(_ actions: [ClassicGroupAction], _ waiter: UInt64) -> ClassicJoinResult? {
        for case .join(waiter, let result) in actions { return result }
        return nil
    }

    func sync(_ actions: [ClassicGroupAction], _ waiter: UInt64) -> ClassicSyncResult? {
        for case .sync(waiter, let result) in actions { return result }
        return nil
    }

    /// A Stable group of members "a" then "b" (a leads) at generation 1, synced at t=200.
    func stableGroup(session: Int32 = 1_000, rebalance: Int32 = 2_000) -> ClassicGroup {
        var group = ClassicGroup(groupID: "g", settings: settings)
        _ = group.join(
            request("", client: "a", session: session, rebalance: rebalance, v4: false),
            waiter: 1, now: 0, makeMemberID: { _ in "a" })
        _ = group.join(
            request("", client: "b", session: session, rebalance: rebalance, v4: false),
            waiter: 2, now: 0, makeMemberID: { _ in "b" })
        _ = group.expire(now: 100)
        let done = group.expire(now: 200).actions
        precondition(join(done, 1)?.generation == 1 && join(done, 2)?.generation == 1)
        _ = group.sync(memberID: "b", generation: 1, assignments: [], waiter: 3, now: 200)
        _ = group.sync(
            memberID: "a", generation: 1,
            assignments: [.init(memberID: "a", bytes: [1]), .init(memberID: "b", bytes: [2])], waiter: 4, now: 200)
        precondition(group.state == .stable)
        return group
    }

    @Test func twoMembersGetIDsThenJoinOneGeneration() {
        var group = ClassicGroup(groupID: "g", settings: settings)
        let first = join(group.join(request("", client: "a"), waiter: 1, now: 0, makeMemberID: { "\($0)-1" }), 1)
        #expect(first?.error == .memberIDRequired)
        #expect(first?.memberID == "a-1")
        let second = join(group.join(request("", client: "b"), waiter: 2, now: 0, makeMemberID: { "\($0)-1" }), 2)
        #expect(second?.memberID == "b-1")
        #expect(group.state == .empty && group.pendingMembers.count == 2)

        #expect(group.join(request("a-1"), waiter: 3, now: 10).isEmpty)
        #expect(group.join(request("b-1"), waiter: 4, now: 20).isEmpty)
        #expect(group.state == .preparingRebalance)
        // b arrived during the initial delay: the delay is extended once.
        #expect(group.expire(now: 110).actions.isEmpty)
        let done = group.expire(now: 210).actions
        let leader = join(done, 3)
        let follower = join(done, 4)
        #expect(leader?.error == ClassicGroupError.none && follower?.error == ClassicGroupError.none)
        #expect(leader?.generation == 1 && follower?.generation == 1)
        #expect(leader?.leaderID == "a-1" && follower?.leaderID == "a-1")
        #expect(leader?.protocolName == "range")
        #expect(leader?.members.map(\.memberID) == ["a-1", "b-1"])
        #expect(leader?.members.first?.metadata == Self.range.metadata)
        #expect(follower?.members.isEmpty == true)
        #expect(group.state == .completingRebalance)
    }

    @Test func unknownMemberIDIsRefusedAndPendingIDsLapse() {
        var group = ClassicGroup(groupID: "g", settings: settings)
        #expect(join(group.join(request("ghost"), waiter: 1, now: 0), 1)?.error == .unknownMemberID)
        _ = group.join(request("", client: "a", session: 50), waiter: 2, now: 0, makeMemberID: { _ in "a" })
        #expect(group.nextDeadline == 50)
        _ = group.expire(now: 50)
        #expect(group.isRemovable)
        #expect(join(group.join(request("a"), waiter: 3, now: 60), 3)?.error == .unknownMemberID)
    }

    @Test func heldJoinCompletesWhenEveryMemberHasRejoined() {
        var group = stableGroup()
        #expect(
            group.join(
                request("", client: "c", v4: false), waiter: 10, now: 300,
                makeMemberID: { _ in "c" }
            ).isEmpty)
        #expect(group.heartbeat(memberID: "a", generation: 1, now: 310) == .rebalanceInProgress)
        #expect(group.join(request("a"), waiter: 11, now: 320).isEmpty)
        let done = group.join(request("b"), waiter: 12, now: 330)
        #expect(done.count == 3)
        #expect(Set([10, 11, 12].compactMap { join(done, $0)?.generation }) == [2])
        #expect(join(done, 11)?.leaderID == "a")
        #expect(join(done, 11)?.members.count == 3)
        #expect(join(done, 10)?.members.isEmpty == true)
    }

    @Test func rebalanceTimeoutDropsAMemberThatDidNotRejoin() {
        var group = stableGroup(session: 10_000, rebalance: 2_000)
        // The leader rejoining starts a rebalance (it wants to assign again).
        #expect(group.join(request("a", session: 10_000), waiter: 10, now: 1_000).isEmpty)
        #expect(group.expire(now: 2_999).actions.isEmpty)
        let done = group.expire(now: 3_000).actions
        #expect(join(done, 10)?.generation == 2)
        #expect(join(done, 10)?.members.map(\.memberID) == ["a"])
        #expect(group.members["b"] == nil)
    }

    @Test func leaderSyncFeedsFollowersAndOmittedMembersGetAnEmptyAssignment() {
        var group = ClassicGroup(groupID: "g", settings: settings)
        for id in ["a", "b", "c"] {
            _ = group.join(request("", client: id, v4: false), waiter: 0, now: 0, makeMemberID: { _ in id })
        }
        // Waiters all 0 here do not matter: the answers are checked through the sync.
        _ = group.expire(now: 100)
        _ = group.expire(now: 200)
        #expect(group.state == .completingRebalance)
        #expect(group.sync(memberID: "b", generation: 1, assignments: [], waiter: 20, now: 210).isEmpty)
        #expect(group.sync(memberID: "c", generation: 1, assignments: [], waiter: 21, now: 210).isEmpty)
        let done = group.sync(
            memberID: "a", generation: 1,
            assignments: [
                .init(memberID: "a", bytes: [9, 9]), .init(memberID: "b", bytes: [7]), .init(memberID: "c", bytes: []),
            ], waiter: 22, now: 220)
        #expect(sync(done, 22)?.assignment == [9, 9])
        #expect(sync(done, 20)?.assignment == [7])
        #expect(sync(done, 21)?.error == ClassicGroupError.none && sync(done, 21)?.assignment == [])
        #expect(group.state == .stable)
        // A later sync in Stable gets the same bytes again.
        #expect(
            sync(group.sync(memberID: "b", generation: 1, assignments: [], waiter: 23, now: 230), 23)?.assignment == [7]
        )
    }

    @Test func aRebalanceAnswersWaitingSyncsRebalanceInProgress() {
        var group = ClassicGroup(groupID: "g", settings: settings)
        _ = group.join(request("", client: "a", v4: false), waiter: 1, now: 0, makeMemberID: { _ in "a" })
        _ = group.join(request("", client: "b", v4: false), waiter: 2, now: 0, makeMemberID: { _ in "b" })
        _ = group.expire(now: 100)
        _ = group.expire(now: 200)
        #expect(group.sync(memberID: "b", generation: 1, assignments: [], waiter: 3, now: 210).isEmpty)
        let done = group.join(request("", client: "c", v4: false), waiter: 4, now: 220, makeMemberID: { _ in "c" })
        #expect(sync(done, 3)?.error == .rebalanceInProgress)
        #expect(group.state == .preparingRebalance)
        #expect(
            sync(group.sync(memberID: "a", generation: 1, assignments: [], waiter: 5, now: 230), 5)?.error
                == .rebalanceInProgress)
    }

    @Test func heartbeatsAndCommitsCheckMemberGenerationAndState() {
        var group = stableGroup()
        #expect(group.heartbeat(memberID: "a", generation: 1, now: 300) == ClassicGroupError.none)
        #expect(group.heartbeat(memberID: "a", generation: 0, now: 300) == .illegalGeneration)
        #expect(group.heartbeat(memberID: "x", generation: 1, now: 300) == .unknownMemberID)
        #expect(
            sync(group.sync(memberID: "b", generation: 0, assignments: [], waiter: 9, now: 300), 9)?.error
                == .illegalGeneration)
        #expect(group.checkCommit(memberID: "a", generation: 1, now: 300) == nil)
        #expect(group.checkCommit(memberID: "a", generation: 0, now: 300) == .illegalGeneration)
        #expect(group.checkCommit(memberID: "", generation: -1, now: 300) == .unknownMemberID)
        // PreparingRebalance: a commit at the current generation is still accepted; heartbeats say rejoin.
        _ = group.join(request("", client: "c", v4: false), waiter: 10, now: 300, makeMemberID: { _ in "c" })
        #expect(group.checkCommit(memberID: "b", generation: 1, now: 310) == nil)
        #expect(group.heartbeat(memberID: "b", generation: 1, now: 310) == .rebalanceInProgress)
        _ = group.join(request("a"), waiter: 11, now: 320)
        _ = group.join(request("b"), waiter: 12, now: 320)
        #expect(group.state == .completingRebalance)
        #expect(group.heartbeat(memberID: "b", generation: 2, now: 330) == ClassicGroupError.none)
        #expect(group.checkCommit(memberID: "b", generation: 2, now: 330) == .rebalanceInProgress)
        // An empty group takes standalone commits.
        var empty = ClassicGroup(groupID: "g", settings: settings)
        #expect(empty.checkCommit(memberID: "", generation: -1, now: 0) == nil)
    }

    @Test func anExpiredSessionRemovesTheMemberAndRebalances() {
        var group = stableGroup(session: 1_000)
        #expect(group.heartbeat(memberID: "a", generation: 1, now: 1_100) == ClassicGroupError.none)
        #expect(group.nextDeadline == 1_200)
        let (_, expired) = group.expire(now: 1_200)
        #expect(expired == ["b"])
        #expect(group.state == .preparingRebalance)
        #expect(group.heartbeat(memberID: "a", generation: 1, now: 1_300) == .rebalanceInProgress)
        let done = group.join(request("a"), waiter: 10, now: 1_310)
        #expect(join(done, 10)?.generation == 2)
        #expect(join(done, 10)?.members.map(\.memberID) == ["a"])
    }

    @Test func leavingStartsARebalance() {
        var group = stableGroup()
        let (result, _) = group.leave(memberIDs: ["a", "ghost"], now: 300)
        #expect(result.members.map(\.error) == [ClassicGroupError.none, .unknownMemberID])
        #expect(group.state == .preparingRebalance)
        #expect(group.leaderID == "b")
        let done = group.join(request("b"), waiter: 10, now: 310)
        #expect(join(done, 10)?.generation == 2 && join(done, 10)?.leaderID == "b")
        // The last member leaving empties the group.
        _ = group.leave(memberIDs: ["b"], now: 320)
        #expect(group.state == .empty && group.isRemovable)
    }

    @Test func theInitialDelayExtendsWhileMembersKeepArriving() {
        var group = ClassicGroup(groupID: "g", settings: settings)
        func add(_ id: String, at now: Int64) {
            _ = group.join(
                request("", client: id, rebalance: 250, v4: false), waiter: 0, now: now,
                makeMemberID: { _ in id })
        }
        add("a", at: 0)
        add("b", at: 50)
        #expect(group.expire(now: 100).actions.isEmpty)
        #expect(group.joinDeadline == 200)
        add("c", at: 150)
        #expect(group.expire(now: 200).actions.isEmpty)
        // What is left of the rebalance timeout (250 - 100 - 100) bounds the last step.
        #expect(group.joinDeadline == 250)
        add("d", at: 220)
        #expect(group.state == .preparingRebalance)
        _ = group.expire(now: 250)
        #expect(group.state == .completingRebalance)
        #expect(group.generation == 1 && group.members.count == 4)
    }

    @Test func inconsistentProtocolsAndBadTimeoutsAreRefused() {
        var group = stableGroup()
        let other = group.join(
            request("", protocols: [ClassicProtocol(name: "sticky", metadata: [])], v4: false),
            waiter: 10, now: 300)
        #expect(join(other, 10)?.error == .inconsistentGroupProtocol)
        #expect(
            join(group.join(request("", protocolType: "connect", v4: false), waiter: 11, now: 300), 11)?.error
                == .inconsistentGroupProtocol)
        #expect(
            join(group.join(request("", protocols: [], v4: false), waiter: 12, now: 300), 12)?.error
                == .inconsistentGroupProtocol)
        #expect(
            join(group.join(request("", session: 5, v4: false), waiter: 13, now: 300), 13)?.error
                == .invalidSessionTimeout)
        var unnamed = request("")
        unnamed.groupID = ""
        #expect(ClassicGroup.validate(unnamed, settings: settings) == .invalidGroupID)
        #expect(group.state == .stable && group.members.count == 2)
        // A member offering only one of the group's protocols narrows the choice to it.
        _ = group.join(
            request("", client: "c", protocols: [Self.roundRobin], v4: false), waiter: 14, now: 300,
            makeMemberID: { _ in "c" })
        _ = group.join(request("a"), waiter: 15, now: 310)
        let done = group.join(request("b"), waiter: 16, now: 310)
        #expect(join(done, 15)?.protocolName == "roundrobin")
    }
}

import SluiceCore
import SluiceProtocol
import Testing

@testable import SluiceServer

@Suite struct AccessPolicyTests {
    let alice = PeerIdentity(uid: 1000, gid: 1000, pid: 1, groups: [50])
    let bob = PeerIdentity(uid: 1001, gid: 1001, pid: 2)

    @Test func rulesGrantByUidGroupAndPattern() {
        let policy = AccessPolicy(rules: [
            AccessRule(uids: [1000], operations: [.produce], topics: ["sensors.*"]),
            AccessRule(gids: [50], operations: [.consume]),
            AccessRule(everyone: true, operations: [.consume], topics: ["public"]),
        ])
        #expect(policy.allows(alice, .produce, topic: "sensors.temp"))
        #expect(!policy.allows(alice, .produce, topic: "orders"))
        #expect(policy.allows(alice, .consume, topic: "orders"), "by supplementary group 50")
        #expect(!policy.allows(alice, .admin, topic: "sensors.temp"))
        #expect(!policy.allows(bob, .consume, topic: "orders"))
        #expect(policy.allows(bob, .consume, topic: "public"))
        #expect(policy.allows(bob, .consume, topic: nil), "some topic")
        #expect(!policy.allows(bob, .produce, topic: nil))
        #expect(!AccessPolicy(rules: []).allows(alice, .consume, topic: "x"), "an empty policy denies")
    }

    @Test func globs() {
        #expect(Glob.matches(pattern: "*", ""))
        #expect(Glob.matches(pattern: "a*c", "abbbc"))
        #expect(Glob.matches(pattern: "a*c*", "acx"))
        #expect(!Glob.matches(pattern: "a*c", "abcd"))
        #expect(!Glob.matches(pattern: "orders", "orders2"))
        #expect(Glob.matches(pattern: "*.dlq", "orders.dlq"))
    }

    @Test func requestsMapToOperations() {
        #expect(Request.metadata(MetadataRequest(topics: nil)).requiredAccess.isEmpty)
        #expect(Request.listGroups(ListGroupsRequest()).requiredAccess.isEmpty, "answered with what the peer may see")
        #expect(
            Request.createTopic(CreateTopicRequest(name: "t", partitions: 1, configs: [])).requiredAccess
                == [.topic(.admin, "t")])
        #expect(
            Request.joinGroup(
                JoinGroupRequest(
                    group: "g", memberID: "", clientID: "c", sessionTimeoutMs: 10_000,
                    topics: ["a", "b", "a"])
            ).requiredAccess == [.group(.consume, "g"), .topic(.consume, "a"), .topic(.consume, "b")])
        #expect(
            Request.heartbeat(HeartbeatRequest(group: "g", memberID: "m", generation: 1, owned: [])).requiredAccess
                == [.group(.consume, "g")])
        #expect(
            Request.leaveGroup(LeaveGroupRequest(group: "g", memberID: "m")).requiredAccess == [.group(.consume, "g")])
        #expect(Request.describeGroup(DescribeGroupRequest(group: "g")).requiredAccess == [.describe(group: "g")])
        #expect(Request.deleteGroup(DeleteGroupRequest(group: "g")).requiredAccess == [.group(.admin, "g")])
        #expect(
            Request.resetOffsets(ResetOffsetsRequest(group: "g", topic: "t", mode: .earliest)).requiredAccess
                == [.group(.admin, "g"), .topic(.admin, "t")])
        #expect(Request.initProducerID(InitProducerIDRequest()).requiredAccess == [.topic(.produce, nil)])
        #expect(Request.stats(StatsRequest()).requiredAccess == [.topic(.admin, nil)])
    }

    /// A backup copies every topic: only a grant of `admin` on every topic allows it, not one on some topics.
    @Test func aBackupNeedsAdminOnEveryTopic() {
        let need = Request.backup(BackupRequest(directory: "/b")).requiredAccess
        #expect(need == [.topic(.admin, "*")])
        let everything = AccessPolicy(rules: [AccessRule(uids: [1000], operations: [.admin])])
        let some = AccessPolicy(rules: [
            AccessRule(uids: [1000], operations: [.admin], topics: ["orders", "sensors.*"])
        ])
        #expect(need.allSatisfy { everything.allows(alice, $0) })
        #expect(!need.allSatisfy { some.allows(alice, $0) })
        #expect(!need.allSatisfy { everything.allows(bob, $0) })
    }

    /// Consumer groups are granted by their own patterns, every group when a rule names none; describing a group
    /// takes any grant on it.
    @Test func groupsAreGrantedByTheirOwnPatterns() {
        let policy = AccessPolicy(rules: [
            AccessRule(uids: [1000], operations: [.consume], topics: ["sandbox.*"], consumerGroups: ["sandbox.*"]),
            AccessRule(uids: [1000], operations: [.admin], topics: ["sandbox.*"], consumerGroups: ["sandbox.*"]),
            AccessRule(uids: [1001], operations: [.consume], topics: ["orders"]),
        ])
        #expect(policy.allows(alice, .group(.consume, "sandbox.g")))
        #expect(!policy.allows(alice, .group(.consume, "billing")))
        #expect(!policy.allows(alice, .group(.admin, "billing")), "admin on sandbox.* cannot delete billing")
        #expect(!policy.allows(alice, .describe(group: "billing")))
        #expect(policy.allows(alice, .describe(group: "sandbox.g")))
        #expect(policy.allows(bob, .group(.consume, "billing")), "a rule naming no groups grants every group")
        #expect(!policy.allows(bob, .group(.admin, "billing")))
        let adminOnly = AccessPolicy(rules: [AccessRule(uids: [1000], operations: [.admin], consumerGroups: ["g"])])
        #expect(adminOnly.allows(alice, .describe(group: "g")), "admin on a group describes it")
    }

    /// A peer whose user is unknown is named only by rules for everyone.
    @Test func anUnknownPeerMatchesOnlyEveryone() {
        let policy = AccessPolicy(rules: [
            AccessRule(uids: [UInt32.max], gids: [UInt32.max], operations: [.produce]),
            AccessRule(everyone: true, operations: [.consume], topics: ["public"]),
        ])
        #expect(!policy.allows(.unknown, .produce, topic: "x"))
        #expect(policy.allows(.unknown, .consume, topic: "public"))
        #expect(!policy.allows(.unknown, .consume, topic: "orders"))
    }

    /// Answers about groups leave out the groups the peer may not describe and the topics it may not consume.
    @Test func groupAnswersLeaveOutWhatThePeerMayNotSee() {
        let policy = AccessPolicy(rules: [
            AccessRule(uids: [1000], operations: [.consume], topics: ["sandbox.*"], consumerGroups: ["sandbox.*"])
        ])
        let list = Response.listGroups(
            ListGroupsResponse(groups: [
                .init(name: "billing", state: .empty, memberCount: 0),
                .init(name: "sandbox.g", state: .empty, memberCount: 0),
            ]))
        guard case .listGroups(let listed) = policy.visible(list, to: alice) else {
            Issue.record("not a list_groups response")
            return
        }
        #expect(listed.groups.map(\.name) == ["sandbox.g"])
        let partition = DescribeGroupResponse.Partition(
            partition: 0, owner: "m", committedOffset: 1, endOffset: 2, lag: 1)
        let describe = Response.describeGroup(
            DescribeGroupResponse(
                group: "sandbox.g", state: .stable, generation: 1,
                members: [
                    .init(
                        memberID: "m", clientID: "c", topics: ["billing.t", "sandbox.t"],
                        owned: [.init(name: "billing.t", partitions: [0]), .init(name: "sandbox.t", partitions: [0])],
                        pending: [])
                ],
                topics: [
                    .init(name: "billing.t", partitions: [partition]),
                    .init(name: "sandbox.t", partitions: [partition]),
                ]))
        guard case .describeGroup(let described) = policy.visible(describe, to: alice) else {
            Issue.record("not a describe_group response")
            return
        }
        #expect(described.topics.map(\.name) == ["sandbox.t"])
        #expect(described.members[0].topics == ["sandbox.t"])
        #expect(described.members[0].owned.map(\.name) == ["sandbox.t"])
    }
}

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
        #expect(
            Request.createTopic(CreateTopicRequest(name: "t", partitions: 1, configs: [])).requiredAccess
                == [RequiredAccess(operation: .admin, topic: "t")])
        #expect(
            Request.joinGroup(
                JoinGroupRequest(
                    group: "g", memberID: "", clientID: "c", sessionTimeoutMs: 10_000,
                    topics: ["a", "b", "a"])
            ).requiredAccess
                == [RequiredAccess(operation: .consume, topic: "a"), RequiredAccess(operation: .consume, topic: "b")])
        #expect(Request.stats(StatsRequest()).requiredAccess == [RequiredAccess(operation: .admin, topic: nil)])
    }

    /// A backup copies every topic: only a grant of `admin` on every topic allows it, not one on some topics.
    @Test func aBackupNeedsAdminOnEveryTopic() {
        let need = Request.backup(BackupRequest(directory: "/b")).requiredAccess
        #expect(need == [RequiredAccess(operation: .admin, topic: "*")])
        let everything = AccessPolicy(rules: [AccessRule(uids: [1000], operations: [.admin])])
        let some = AccessPolicy(rules: [
            AccessRule(uids: [1000], operations: [.admin], topics: ["orders", "sensors.*"])
        ])
        #expect(need.allSatisfy { everything.allows(alice, $0.operation, topic: $0.topic) })
        #expect(!need.allSatisfy { some.allows(alice, $0.operation, topic: $0.topic) })
        #expect(!need.allSatisfy { everything.allows(bob, $0.operation, topic: $0.topic) })
    }
}

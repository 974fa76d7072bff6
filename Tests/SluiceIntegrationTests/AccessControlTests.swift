import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// The access policy's consumer groups on the Unix socket, and producer ids: who may get one, and that they are
/// handed out in durable blocks. Rules match the test's own uid (usually root): a policy that grants it little
/// plays the refused user.
@Suite(.serialized) struct AccessControlTests {
    static let me = getuid()

    /// The error a request was refused with, or nil when it was answered.
    func refusal(_ connection: RawConnection, _ request: Request) -> ErrorCode? {
        do {
            _ = try connection.call(request)
            return nil
        } catch {
            return (error as? SluiceError)?.code ?? .unknown
        }
    }

    func stats(_ connection: RawConnection) throws -> String {
        guard case .stats(let stats) = try connection.call(.stats(StatsRequest())) else {
            throw SluiceError(.unknown, "not a stats response")
        }
        return stats.text
    }

    /// The value of a series without labels in Prometheus text, 0 when absent.
    static func series(_ text: String, _ name: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix("\(name) ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    /// A rule naming the peer by a group: its groups are read off the event loop when it connects, and requests it
    /// sends meanwhile wait for them, then are answered in turn.
    @Test func aRuleByGroupNameAppliesFromTheFirstRequest() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let group = String(cString: getgrgid(getgid()).pointee.gr_name)
        let config = try ServiceTests.writeConfig(
            server,
            """
            {"access": [
              {"groups": ["\(group)"], "operations": ["produce", "consume", "admin"], "topics": ["granted.*"]}]}
            """)
        try server.start(extraArguments: ["--config", config])
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("granted.t")
        for round in 0..<20 {
            // A fresh connection's first request arrives while its groups are being read.
            let fresh = try RawConnection(path: server.socketPath)
            _ = try fresh.produce("granted.t", strings: ["r\(round)"])
            #expect(refusal(fresh, .createTopic(CreateTopicRequest(name: "other.t", partitions: 1))) == .notAuthorized)
        }
        #expect(try connection.fetch("granted.t").records.count == 20)
    }

    /// Groups `billing` and `sandbox.g` have offsets on `billing.t` and `sandbox.t`; the policy then grants this uid
    /// consume and admin on `sandbox.*` topics and groups only.
    @Test func groupsInThePolicyOnTheUnixSocket() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        do {
            let setup = try RawConnection(path: server.socketPath)
            for topic in ["billing.t", "sandbox.t"] {
                try setup.createTopic(topic)
                _ = try setup.produce(topic, strings: ["a", "b"])
                for group in ["billing", "sandbox.g"] { _ = try setup.commit(group: group, topic, offsets: [0: 1]) }
            }
        }
        #expect(server.stop() == 0)
        let config = try ServiceTests.writeConfig(
            server,
            """
            {"access": [
              {"users": ["\(Self.me)"], "operations": ["consume", "admin"], "topics": ["sandbox.*"],
               "consumer_groups": ["sandbox.*"]}]}
            """)
        try server.start(extraArguments: ["--config", config])
        let connection = try RawConnection(path: server.socketPath)

        // No grant on `billing`: its members cannot be heartbeated for, made to leave or joined beside, its offsets
        // neither read, committed, reset nor deleted, whatever the grants on the topics.
        let billing: [(String, Request)] = [
            ("heartbeat", .heartbeat(HeartbeatRequest(group: "billing", memberID: "m", generation: 1, owned: []))),
            ("leave", .leaveGroup(LeaveGroupRequest(group: "billing", memberID: "m"))),
            (
                "join",
                .joinGroup(
                    JoinGroupRequest(group: "billing", clientID: "c", sessionTimeoutMs: 10_000, topics: ["sandbox.t"]))
            ),
            (
                "commit",
                .commitOffsets(
                    CommitOffsetsRequest(group: "billing", topics: [.init(name: "sandbox.t", partitions: [])]))
            ),
            ("describe", .describeGroup(DescribeGroupRequest(group: "billing"))),
            ("fetch offsets", .fetchOffsets(FetchOffsetsRequest(group: "billing", topics: nil))),
            ("delete", .deleteGroup(DeleteGroupRequest(group: "billing"))),
            ("reset", .resetOffsets(ResetOffsetsRequest(group: "billing", topic: "sandbox.t", mode: .earliest))),
        ]
        for (name, request) in billing {
            #expect(refusal(connection, request) == .notAuthorized, "\(name) on billing")
        }
        // Listing shows only the groups the peer may describe; a described group and its offsets leave out the
        // topics it may not consume.
        guard case .listGroups(let list) = try connection.call(.listGroups(ListGroupsRequest())) else {
            throw SluiceError(.unknown, "not a list_groups response")
        }
        #expect(list.groups.map(\.name) == ["sandbox.g"])
        guard
            case .describeGroup(let described) = try connection.call(
                .describeGroup(DescribeGroupRequest(group: "sandbox.g")))
        else { throw SluiceError(.unknown, "not a describe_group response") }
        #expect(described.topics.map(\.name) == ["sandbox.t"])
        #expect(try connection.committedOffsets(group: "sandbox.g", "billing.t").isEmpty)
        #expect(try connection.committedOffsets(group: "sandbox.g", "sandbox.t") == [0: 1])
        // On its own group the peer joins, heartbeats, leaves and commits; resetting a topic it may not administer
        // is refused; deleting the group is allowed.
        guard
            case .joinGroup(let joined) = try connection.call(
                .joinGroup(
                    JoinGroupRequest(group: "sandbox.g", clientID: "c", sessionTimeoutMs: 10_000, topics: ["sandbox.t"])
                ))
        else { throw SluiceError(.unknown, "not a join_group response") }
        #expect(
            refusal(
                connection,
                .heartbeat(
                    HeartbeatRequest(
                        group: "sandbox.g", memberID: joined.memberID, generation: joined.generation, owned: [])
                )) == nil)
        #expect(
            refusal(connection, .leaveGroup(LeaveGroupRequest(group: "sandbox.g", memberID: joined.memberID))) == nil)
        #expect(
            try connection.commit(group: "sandbox.g", "sandbox.t", offsets: [0: 2]).topics.first?.partitions.first?
                .error == nil)
        #expect(
            refusal(
                connection, .resetOffsets(ResetOffsetsRequest(group: "sandbox.g", topic: "billing.t", mode: .earliest)))
                == .notAuthorized)
        #expect(refusal(connection, .deleteGroup(DeleteGroupRequest(group: "sandbox.g"))) == nil)
        #expect(server.log.contains("access denied"))
        #expect(server.log.contains("group=billing"), "\(server.log.suffix(2000))")
        #expect(server.stop() == 0)
    }

    /// Producer ids come in blocks of 1,000, one catalog commit each: 1,500 calls reserve two blocks; a restart
    /// (SIGTERM or SIGKILL) starts the next block after the last one recorded, so no id comes back.
    @Test func producerIDsAreHandedOutInDurableBlocks() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        func initProducerID(_ connection: RawConnection) throws -> Int64 {
            guard case .initProducerID(let identity) = try connection.call(.initProducerID(InitProducerIDRequest()))
            else { throw SluiceError(.unknown, "not an init_producer_id response") }
            return identity.producerID
        }
        var ids: [Int64] = []
        do {
            let connection = try RawConnection(path: server.socketPath)
            for _ in 0..<1500 { ids.append(try initProducerID(connection)) }
            #expect(ids == Array(0..<1500), "unique and increasing")
            #expect(Self.series(try stats(connection), "sluice_producer_id_blocks_total") == 2)
        }
        #expect(server.stop() == 0)
        try server.start()
        let afterStop: Int64
        do {
            let connection = try RawConnection(path: server.socketPath)
            afterStop = try initProducerID(connection)
            #expect(try initProducerID(connection) == afterStop + 1)
        }
        #expect(afterStop == 2000, "the next block starts after the two reserved")
        server.kill()
        try server.start()
        let connection = try RawConnection(path: server.socketPath)
        #expect(try initProducerID(connection) == 3000, "after SIGKILL too")
        #expect(Self.series(try stats(connection), "sluice_producer_id_blocks_total") == 1)
    }
}

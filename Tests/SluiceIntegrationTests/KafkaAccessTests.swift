import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// The access policy on the Kafka listener, with real clients (`KafkaClients/kafka_clients.py`): the connection's
/// user is the owner of the client's loopback socket, here the test's own uid, which the policy grants little.
@Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
struct KafkaAccessTests {
    static let me = getuid()

    @discardableResult
    func scenario(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async
        -> ProcessRun.Outcome
    {
        let outcome = await ProcessRun.run(["python3", KafkaClientTests.script] + arguments, timeout: 120)
        #expect(
            outcome.status == 0, "\(arguments[0]) failed: \(outcome.stderr.suffix(3000))",
            sourceLocation: sourceLocation)
        return outcome
    }

    /// Produce, metadata, topic creation, groups, offsets and fetch each refused as Apache Kafka refuses them, and
    /// allowed where the policy grants.
    @Test func kafkaClientsGetAuthorizationErrors() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        do {
            let setup = try RawConnection(path: server.socketPath)
            for topic in ["allowed.t", "secret.t"] {
                try setup.createTopic(topic)
                _ = try setup.produce(topic, strings: ["a", "b"])
                for group in ["allowed.g", "secret.g"] { _ = try setup.commit(group: group, topic, offsets: [0: 1]) }
            }
            try setup.createTopic("inbox.t")
            _ = try setup.produce("inbox.t", strings: ["a"])
        }
        #expect(server.stop() == 0)
        let config = try ServiceTests.writeConfig(
            server,
            """
            {"access": [
              {"users": ["\(Self.me)"], "operations": ["produce", "consume"], "topics": ["allowed.*"],
               "consumer_groups": ["allowed.*"]},
              {"users": ["\(Self.me)"], "operations": ["admin"], "topics": ["allowed.*"], "consumer_groups": []},
              {"users": ["\(Self.me)"], "operations": ["produce"], "topics": ["inbox.*"]}]}
            """)
        try server.start(extraArguments: ["--config", config, "--kafka-listen", "127.0.0.1:0"])
        await scenario("access", server.kafkaAddress)
        // No grant on `secret.g`: its members cannot be heartbeated for or made to leave, whatever the member id.
        await scenario("group-refused", server.kafkaAddress, "secret.g", "allowed.g")
        let connection = try RawConnection(path: server.socketPath)
        let secret = try connection.metadata(["secret.t"]).topics.first?.partitions.first
        #expect(secret?.nextOffset == 2, "nothing was written to secret.t")
        #expect(server.log.contains("access denied"))
        #expect(server.log.contains("api=kafka metadata"))
        #expect(server.log.contains("operation=describe"))
        #expect(server.log.contains("api=kafka fetch") || server.log.contains("api=kafka listOffsets"))
        #expect(server.log.contains("api=kafka findCoordinator"))
        #expect(server.log.contains("uid=\(Self.me)"))
    }

    /// InitProducerId needs `produce` on some topic, on both listeners; a refusal on either is counted in
    /// `sluice_access_denied_total`.
    @Test func refusalsOnBothListenersAreCountedAndProducerIDsNeedProduce() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let config = try ServiceTests.writeConfig(
            server,
            """
            {"access": [{"users": ["\(Self.me)"], "operations": ["consume", "admin"]}]}
            """)
        try server.start(extraArguments: ["--config", config, "--kafka-listen", "127.0.0.1:0"])
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("readings")
        func denied() throws -> Double {
            guard case .stats(let stats) = try connection.call(.stats(StatsRequest())) else {
                throw SluiceError(.unknown, "not a stats response")
            }
            return AccessControlTests.series(stats.text, "sluice_access_denied_total")
        }
        let before = try denied()
        do {
            _ = try connection.call(.initProducerID(InitProducerIDRequest()))
            Issue.record("a uid with no produce grant got a producer id")
        } catch {
            #expect((error as? SluiceError)?.code == .notAuthorized, "\(error)")
        }
        let afterNative = try denied()
        #expect(afterNative == before + 1)
        await scenario("init-producer-id-refused", server.kafkaAddress, "readings")
        #expect(try denied() > afterNative, "the Kafka refusal is counted too")
        #expect(server.log.contains("api=kafka initProducerId"))
    }
}

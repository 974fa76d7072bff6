import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceServer

@Suite struct ServeSettingsTests {
    func parse(_ text: String) throws(SluiceError) -> ServeSettings {
        try ServeSettings.parse(Array(text.utf8))
    }

    /// The example shipped in docs/ is a valid configuration (its users and groups exist on the test machine only
    /// partly, so it is read with them replaced by numbers).
    @Test func theShippedExampleParses() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/sluice.example.json").path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"sluice\"", with: "\"0\"")
            .replacingOccurrences(of: "\"sensors\"", with: "\"0\"").replacingOccurrences(
                of: "\"analytics\"", with: "\"0\"")
        let settings = try parse(text)
        #expect(settings.dataDir == "/var/lib/sluice")
        #expect(settings.kafkaListen == nil && settings.kafkaAutoCreateTopics == false)
        #expect(settings.access != nil)
    }

    @Test func everySettingIsRead() throws {
        let settings = try parse(
            """
            {"data_dir": "/var/lib/sluice", "socket": "/run/sluice/sluice.sock", "socket_mode": "660",
             "socket_owner": "0", "socket_group": "root", "default_durability": "normal",
             "max_connections": 64, "max_in_flight": 128, "max_frame_bytes": 2048, "max_response_bytes": 4096,
             "max_buffered_bytes_per_connection": 1048576, "max_buffered_bytes": 8388608,
             "partial_frame_timeout_ms": 1500, "shutdown_timeout": 2.5, "log_level": "debug", "metrics_listen": "127.0.0.1:9464",
             "kafka_listen": "127.0.0.1:9092", "kafka_auto_create_topics": true, "kafka_default_partitions": 3,
             "kafka_max_connections": 16, "kafka_connections_max_idle_ms": 0, "reserved_admin_connections": 2,
             "max_open_topics": 500,
             "access": [{"users": ["root", "65534"], "groups": ["0"], "operations": ["produce"], "topics": ["a.*"]},
                        {"users": ["*"], "operations": ["consume"], "topics": [], "consumer_groups": ["g.*"]}]}
            """)
        #expect(settings.dataDir == "/var/lib/sluice")
        #expect(settings.socket == "/run/sluice/sluice.sock")
        #expect(settings.socketMode == 0o660)
        #expect(settings.socketOwner == 0 && settings.socketGroup == 0)
        #expect(settings.defaultDurability == .normal)
        #expect(settings.maxConnections == 64 && settings.maxInFlight == 128)
        #expect(settings.maxFrameBytes == 2048 && settings.maxResponseBytes == 4096)
        #expect(settings.maxBufferedBytesPerConnection == 1 << 20 && settings.maxBufferedBytes == 8 << 20)
        #expect(settings.partialFrameTimeoutMs == 1500)
        #expect(settings.shutdownTimeoutSeconds == 2.5)
        #expect(settings.logLevel == .debug)
        #expect(settings.metricsListen == "127.0.0.1:9464")
        #expect(settings.kafkaListen == "127.0.0.1:9092")
        #expect(settings.kafkaAutoCreateTopics == true && settings.kafkaDefaultPartitions == 3)
        #expect(settings.kafkaListen == "127.0.0.1:9092")
        #expect(settings.kafkaMaxConnections == 16 && settings.kafkaConnectionsMaxIdleMs == 0)
        #expect(settings.reservedAdminConnections == 2)
        let kafka = try #require(try settings.serverConfiguration(socketPath: "/tmp/s", metrics: nil).kafka)
        #expect(kafka.maxConnections == 16 && kafka.connectionsMaxIdle == nil && kafka.maxResponseBytes == 4096)
        #expect(settings.maxOpenTopics == 500)
        #expect(
            settings.access
                == AccessPolicy(rules: [
                    AccessRule(uids: [0, 65534], gids: [0], operations: [.produce], topics: ["a.*"]),
                    AccessRule(everyone: true, operations: [.consume], topics: [], consumerGroups: ["g.*"]),
                ]))
    }

    @Test func anEmptyObjectSetsNothing() throws {
        #expect(try parse("{}") == ServeSettings())
        #expect(try parse("{}").kafkaListen == nil)
    }

    @Test(arguments: [
        (#"{"socket_mod": "660"}"#, "unknown key 'socket_mod'"),
        (#"{"socket_mode": "999"}"#, "socket_mode must be octal"),
        (#"{"default_durability": "fast"}"#, "default_durability must be full or normal"),
        (#"{"log_level": "loud"}"#, "log_level must be one of"),
        (#"{"max_in_flight": 0}"#, "max_in_flight must be at least 1"),
        (#"{"max_buffered_bytes": 100}"#, "max_buffered_bytes must be at least 1024"),
        (#"{"partial_frame_timeout_ms": 0}"#, "partial_frame_timeout_ms must be at least 1"),
        (#"{"kafka_max_connections": 0}"#, "kafka_max_connections must be at least 1"),
        (#"{"kafka_connections_max_idle_ms": -1}"#, "kafka_connections_max_idle_ms must be at least 0"),
        (#"{"max_connections": 4, "reserved_admin_connections": 4}"#, "must be below max_connections"),
        (#"{"metrics_listen": "9464"}"#, "metrics_listen must be host:port"),
        (#"{"kafka_listen": "localhost:99999"}"#, "kafka_listen must be host:port"),
        (#"{"max_connections": "many"}"#, "max_connections: expected a number"),
        (#"{"access": [{"operations": ["produce"]}]}"#, "access[0]: names no users or groups"),
        (#"{"access": [{"users": ["*"], "operations": ["write"]}]}"#, "unknown operation 'write'"),
        (#"{"access": [{"users": ["no-such-user-here"], "operations": ["admin"]}]}"#, "unknown user"),
        (#"{"access": [{"users": ["*"], "operations": ["admin"], "topic": ["x"]}]}"#, "unknown key 'topic'"),
        ("{", "not valid JSON"),
    ])
    func mistakesAreNamed(text: String, message: String) {
        #expect {
            _ = try parse(text)
        } throws: { error in
            (error as? SluiceError)?.message.contains(message) == true
        }
    }

    @Test func aMissingFileIsNamed() {
        #expect {
            _ = try ServeSettings.load(path: "/nonexistent/sluice.json")
        } throws: { error in
            (error as? SluiceError)?.message.contains("/nonexistent/sluice.json") == true
        }
    }

    @Test func hostPortParsesIPv6() throws {
        #expect(try HostPort.parse("[::1]:9464", setting: "x") == HostPort(host: "::1", port: 9464))
    }
}

import Foundation
import Logging
import SluiceCore
import Testing

@testable import SluiceServer

/// `sluice serve`'s settings: the flags laid over the file, and the server's configuration made from them.
@Suite struct ServeSettingsConfigurationTests {
    /// Settings with every field set, to different values than `ServeSettings.parse` tests use.
    static var everySetting: ServeSettings {
        var settings = ServeSettings()
        settings.dataDir = "/flags/data"
        settings.socket = "/flags/sluice.sock"
        settings.socketMode = 0o600
        settings.socketOwner = 1000
        settings.socketGroup = 1001
        settings.defaultDurability = .normal
        settings.maxConnections = 7
        settings.maxInFlight = 8
        settings.maxFrameBytes = 200 << 20
        settings.maxResponseBytes = 4096
        settings.maxBufferedBytesPerConnection = 1 << 20
        settings.maxBufferedBytes = 8 << 20
        settings.partialFrameTimeoutMs = 1500
        settings.shutdownTimeoutSeconds = 2.5
        settings.logLevel = .trace
        settings.metricsListen = "127.0.0.1:9464"
        settings.kafkaListen = "[::1]:9092"
        settings.kafkaAutoCreateTopics = true
        settings.kafkaDefaultPartitions = 5
        settings.kafkaMaxConnections = 12
        settings.kafkaConnectionsMaxIdleMs = 2500
        settings.reservedAdminConnections = 3
        settings.kafkaSASLRequired = true
        settings.kafkaSASLMechanisms = [.scramSHA256]
        settings.kafkaSASLUsers = KafkaSASLUsers([
            "alice": [.sha256: SCRAMCredential(salt: [1], iterations: 4096, storedKey: [2], serverKey: [3])]
        ])
        settings.kafkaTLSCertificate = "/flags/cert.pem"
        settings.kafkaTLSKey = "/flags/key.pem"
        settings.access = AccessPolicy(rules: [AccessRule(uids: [0], operations: [.admin], topics: ["*"])])
        settings.maxOpenTopics = 200
        settings.httpSocket = "/flags/http.sock"
        settings.httpListen = "127.0.0.1:9480"
        return settings
    }

    /// So that `everySettingCanBeLaidOver` fails when a setting is added to `ServeSettings` but not to `overlaid`.
    @Test func theTestValueSetsEverySetting() {
        let unset = Mirror(reflecting: Self.everySetting).children.filter { child in
            let value = Mirror(reflecting: child.value)
            return value.displayStyle == .optional && value.children.isEmpty
        }
        #expect(unset.isEmpty, "unset: \(unset.map { $0.label ?? "?" })")
    }

    @Test func aFlagWinsOverTheFile() throws {
        let file = try ServeSettings.parse(
            Array(#"{"data_dir": "/file", "max_in_flight": 3, "log_level": "debug"}"#.utf8))
        var flags = ServeSettings()
        flags.maxInFlight = 9
        let merged = file.overlaid(by: flags)
        #expect(merged.dataDir == "/file", "a setting no flag gives keeps the file's")
        #expect(merged.maxInFlight == 9)
        #expect(merged.logLevel == .debug)
    }

    @Test func everySettingCanBeLaidOver() {
        #expect(ServeSettings().overlaid(by: Self.everySetting) == Self.everySetting)
        #expect(Self.everySetting.overlaid(by: ServeSettings()) == Self.everySetting)
    }

    @Test func resolveReadsTheFileThenTheFlags() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString).json")
            .path
        try #"{"socket": "/file.sock", "shutdown_timeout": 4}"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var flags = ServeSettings()
        flags.socket = "/flag.sock"
        let settings = try ServeSettings.resolve(file: path, flags: flags)
        #expect(settings.socket == "/flag.sock")
        #expect(settings.shutdownTimeoutSeconds == 4)
        #expect(try ServeSettings.resolve(file: nil, flags: flags) == flags)
    }

    @Test func resolveNamesABadFile() {
        #expect {
            _ = try ServeSettings.resolve(file: "/nonexistent/sluice.json", flags: ServeSettings())
        } throws: { error in
            (error as? SluiceError)?.message.contains("cannot read /nonexistent/sluice.json") == true
        }
    }

    @Test func noSettingsKeepTheServersDefaults() throws {
        let configuration = try ServeSettings().serverConfiguration(socketPath: "/s.sock", metrics: nil)
        let defaults = ServerConfiguration(socketPath: "/s.sock")
        #expect(configuration.socketPath == "/s.sock")
        #expect(configuration.socketMode == defaults.socketMode)
        #expect(configuration.socketOwner == nil && configuration.socketGroup == nil)
        #expect(configuration.defaultDurability == defaults.defaultDurability)
        #expect(configuration.maxConnections == defaults.maxConnections)
        #expect(configuration.reservedAdminConnections == 8)
        #expect(configuration.maxInFlightPerConnection == defaults.maxInFlightPerConnection)
        #expect(configuration.maxFrameBytes == defaults.maxFrameBytes)
        #expect(configuration.maxResponseBytes == defaults.maxResponseBytes)
        #expect(configuration.maxBufferedBytesPerConnection == 64 << 20)
        #expect(configuration.maxBufferedBytes == 256 << 20)
        #expect(configuration.partialFrameTimeout == .seconds(30))
        #expect(configuration.shutdownTimeout == .seconds(10))
        #expect(configuration.access == nil && configuration.metrics == nil)
        #expect(configuration.metricsListen == nil && configuration.kafka == nil)
    }

    @Test func everySettingReachesTheServer() throws {
        var settings = Self.everySetting
        // Refused: this build serves no TLS (KafkaSASLSettingsTests).
        settings.kafkaTLSCertificate = nil
        settings.kafkaTLSKey = nil
        let configuration = try settings.serverConfiguration(socketPath: "/s.sock", metrics: nil)
        #expect(configuration.socketPath == "/s.sock", "the caller decides the socket path")
        #expect(configuration.socketMode == 0o600)
        #expect(configuration.socketOwner == 1000 && configuration.socketGroup == 1001)
        #expect(configuration.defaultDurability == .normal)
        #expect(configuration.maxConnections == 7)
        #expect(configuration.maxInFlightPerConnection == 8)
        #expect(configuration.maxFrameBytes == 200 << 20)
        #expect(configuration.maxResponseBytes == 4096)
        #expect(configuration.maxBufferedBytesPerConnection == 1 << 20)
        #expect(configuration.maxBufferedBytes == 8 << 20)
        #expect(configuration.partialFrameTimeout == .milliseconds(1500))
        #expect(configuration.shutdownTimeout == .milliseconds(2500))
        #expect(configuration.access == Self.everySetting.access)
        #expect(configuration.metricsListen == HostPort(host: "127.0.0.1", port: 9464))
        var kafka = KafkaListenerSettings(host: "::1", port: 9092)
        kafka.autoCreateTopics = true
        kafka.defaultPartitions = 5
        kafka.maxFrameBytes = 200 << 20
        kafka.maxQueuedPerConnection = 8
        kafka.maxResponseBytes = 4096
        kafka.maxConnections = 12
        kafka.connectionsMaxIdle = .milliseconds(2500)
        kafka.sasl = KafkaSASLSettings(
            mechanisms: [.scramSHA256], required: true, users: Self.everySetting.kafkaSASLUsers!)
        #expect(configuration.kafka == kafka)
        #expect(configuration.reservedAdminConnections == 3)
    }

    /// The Kafka listener's frame limit (Kafka's 100 MiB) is only ever raised by `max_frame_bytes`, never lowered.
    @Test func aSmallFrameLimitLeavesKafkasAlone() throws {
        var settings = ServeSettings()
        settings.kafkaListen = "127.0.0.1:0"
        settings.maxFrameBytes = 2048
        let configuration = try settings.serverConfiguration(socketPath: "/s.sock", metrics: nil)
        #expect(configuration.maxFrameBytes == 2048)
        #expect(configuration.kafka?.maxFrameBytes == KafkaListenerSettings(port: 0).maxFrameBytes)
        #expect(configuration.kafka?.autoCreateTopics == false)
        #expect(configuration.kafka?.defaultPartitions == 1)
    }

    @Test func aBadListenAddressIsNamed() {
        var settings = ServeSettings()
        settings.kafkaListen = "9092"
        #expect {
            _ = try settings.serverConfiguration(socketPath: "/s.sock", metrics: nil)
        } throws: { error in
            (error as? SluiceError)?.message.contains("kafka_listen must be host:port") == true
        }
    }
}

import Testing

@testable import SluiceMirror

@Suite struct KafkaSettingTests {
    @Test func parsesKeyEqualsValueKeepingLaterEqualsSigns() throws {
        let setting = try KafkaSetting(parsing: "sasl.jaas.config=a=b")
        #expect(setting == KafkaSetting(key: "sasl.jaas.config", value: "a=b"))
        #expect(try KafkaSetting(parsing: "linger.ms=") == KafkaSetting(key: "linger.ms", value: ""))
    }

    @Test func refusesTextWithoutAKey() {
        #expect(throws: MirrorError.usage("-X expects key=value, not 'linger.ms'")) {
            try KafkaSetting(parsing: "linger.ms")
        }
        #expect(throws: MirrorError.self) { try KafkaSetting(parsing: "=5") }
    }

    /// librdkafka itself checks the settings: an unknown key or a bad value is a usage error naming it.
    @Test func librdkafkaRefusalsAreUsageErrorsNamingTheSetting() throws {
        try Mirror.checkKafkaSettings([KafkaSetting(key: "bootstrap.servers", value: "localhost:9092")])
        do {
            try Mirror.checkKafkaSettings([KafkaSetting(key: "no.such.setting", value: "1")])
            Issue.record("an unknown setting was accepted")
        } catch {
            #expect(error.exitCode == 64)
            #expect(error.description.contains("no.such.setting=1"))
            #expect(error.description.contains("No such configuration property"))
        }
        do {
            try Mirror.checkKafkaSettings([KafkaSetting(key: "acks", value: "sometimes")])
            Issue.record("a bad value was accepted")
        } catch {
            #expect(error.description.contains("acks=sometimes"))
        }
    }

    @Test func passwordsAreNotPrinted() {
        do {
            try Mirror.checkKafkaSettings([
                KafkaSetting(key: "sasl.password", value: "hunter2"),
                KafkaSetting(key: "security.protocol", value: "carrier-pigeon"),
            ])
            Issue.record("a bad security.protocol was accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.contains("security.protocol=carrier-pigeon"))
        }
    }
}

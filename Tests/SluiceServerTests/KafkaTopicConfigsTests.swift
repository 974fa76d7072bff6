import SluiceCore
import SluiceKafka
import Testing

@testable import SluiceServer

/// How Kafka's config changes come to Sluice's topic settings (`KafkaTopicConfigResource.entries`).
struct KafkaTopicConfigsTests {
    typealias Op = KafkaIncrementalAlterConfigsRequest.Operation

    func incremental(_ entries: [(String, Op, String?)], on current: TopicConfig = TopicConfig()) throws
        -> TopicConfig
    {
        let change = KafkaConfigChange.incremental(
            entries.map { .init(name: $0.0, configOperation: $0.1.rawValue, value: $0.2) })
        var config = current
        try config.apply(try KafkaTopicConfigResource.entries(for: change, current: current))
        return config
    }

    @Test func kafkaNamesAndMinusOneMapOntoTheSettings() throws {
        let config = try incremental([
            ("retention.ms", .set, "1000"), ("retention.bytes", .set, "-1"), ("sluice.durability", .set, "normal"),
            ("sluice.retention.records", .set, "50"), ("max.message.bytes", .set, "2048"),
        ])
        #expect(config.retentionMs == 1000 && config.retentionBytes == nil && config.durability == .normal)
        #expect(config.retentionRecords == 50 && config.maxMessageBytes == 2048)
        // The native names are accepted too.
        #expect(try incremental([("durability", .set, "normal")]).durability == .normal)
    }

    @Test func deleteGoesBackToTheDefaultNotToUnlimited() throws {
        let changed = TopicConfig(retentionMs: 5, retentionBytes: nil)
        let config = try incremental([("retention.ms", .delete, nil), ("retention.bytes", .delete, nil)], on: changed)
        #expect(config.retentionMs == TopicConfig.defaultRetentionMs)
        #expect(config.retentionBytes == TopicConfig.defaultRetentionBytes)
    }

    @Test func appendAndSubtractChangeTheCleanupPolicyOnly() throws {
        let both = try incremental([("cleanup.policy", .append, "compact")])
        #expect(both.cleanupPolicy == [.compact, .delete])
        #expect(try incremental([("cleanup.policy", .subtract, "delete")], on: both).cleanupPolicy == .compact)
        #expect(throws: KafkaConfigRefusal.self) { try incremental([("cleanup.policy", .subtract, "delete")]) }
        #expect(throws: KafkaConfigRefusal.self) { try incremental([("retention.ms", .append, "1")]) }
    }

    @Test func unknownReadOnlyRepeatedAndNullAreRefused() {
        for entries: [(String, Op, String?)] in [
            [("segment.bytes", .set, "1")], [("min.insync.replicas", .set, "1")],
            [("retention.ms", .set, "1"), ("retention.ms", .set, "2")], [("retention.ms", .set, nil)],
        ] {
            #expect(throws: KafkaConfigRefusal.self) { try incremental(entries) }
        }
        let unknownOperation = KafkaConfigChange.incremental([
            .init(name: "retention.ms", configOperation: 9, value: "1")
        ])
        #expect(throws: KafkaConfigRefusal.self) {
            try KafkaTopicConfigResource.entries(for: unknownOperation, current: TopicConfig())
        }
    }

    @Test func alterConfigsReplacesTheWholeSet() throws {
        let current = TopicConfig(retentionMs: 5, durability: .normal, maxMessageBytes: 77)
        let entries = try KafkaTopicConfigResource.entries(
            for: .replace([.init(name: "max.message.bytes", value: "99")]), current: current)
        var config = current
        try config.apply(entries)
        #expect(config.maxMessageBytes == 99)
        #expect(config.retentionMs == TopicConfig.defaultRetentionMs && config.durability == .full)
    }

    @Test func everySettableTopicSettingHasAKafkaName() {
        let mapped = Set(KafkaTopicConfigResource.settings.compactMap(\.key))
        #expect(mapped == Set(TopicConfigKey.allCases))
    }
}

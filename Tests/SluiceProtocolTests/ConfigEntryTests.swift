import SluiceCore
import SluiceProtocol
import Testing

@Suite struct ConfigEntryTests {
    @Test func everySettingRoundTrips() throws {
        let config = TopicConfig(
            partitions: 6, retentionMs: nil, retentionBytes: 1 << 30, retentionRecords: 1000,
            cleanupPolicy: [.compact, .delete], durability: .normal, maxMessageBytes: 4096)
        let entries = config.configEntries
        #expect(entries.map(\.key) == TopicConfigKey.allCases.map(\.rawValue))
        #expect(
            entries == [
                ConfigEntry(key: "retention.ms", value: nil),
                ConfigEntry(key: "retention.bytes", value: "1073741824"),
                ConfigEntry(key: "retention.records", value: "1000"),
                ConfigEntry(key: "cleanup.policy", value: "compact,delete"),
                ConfigEntry(key: "durability", value: "normal"),
                ConfigEntry(key: "max.message.bytes", value: "4096"),
                ConfigEntry(key: "delete.retention.ms", value: "86400000"),
            ])
        #expect(try TopicConfig(partitions: 6, configEntries: entries) == config)
    }

    @Test func defaultsRoundTrip() throws {
        #expect(try TopicConfig(partitions: 1, configEntries: TopicConfig().configEntries) == TopicConfig())
        #expect(try TopicConfig(partitions: 3, configEntries: []) == TopicConfig(partitions: 3))
    }

    @Test func applyChangesOnlyTheKeysGiven() throws {
        var config = TopicConfig(partitions: 2, retentionBytes: 100)
        try config.apply([ConfigEntry(.retentionMs, "60000")])
        #expect(config == TopicConfig(partitions: 2, retentionMs: 60000, retentionBytes: 100))
    }

    @Test func nullMakesLimitsUnlimitedAndResetsOtherSettings() throws {
        var config = TopicConfig(
            retentionMs: 5, retentionBytes: 5, retentionRecords: 5, cleanupPolicy: .compact, durability: .normal,
            maxMessageBytes: 5)
        try config.apply(TopicConfigKey.allCases.map { ConfigEntry($0, nil) })
        #expect(config == TopicConfig(retentionMs: nil, retentionBytes: nil))
    }

    @Test(arguments: [
        (ConfigEntry(key: "retention.hours", value: "1"), "retention.hours"),
        (ConfigEntry(key: "partitions", value: "3"), "partitions"),
        (ConfigEntry(.retentionMs, "soon"), "retention.ms"),
        (ConfigEntry(.retentionBytes, "1.5"), "retention.bytes"),
        (ConfigEntry(.retentionRecords, ""), "retention.records"),
        (ConfigEntry(.cleanupPolicy, "archive"), "cleanup.policy"),
        (ConfigEntry(.durability, "FULL"), "durability"),
        (ConfigEntry(.maxMessageBytes, "1 MiB"), "max.message.bytes"),
    ])
    func badEntriesAreInvalidArguments(entry: ConfigEntry, key: String) {
        var config = TopicConfig()
        do {
            try config.apply([ConfigEntry(.retentionRecords, "7"), entry])
            Issue.record("applied \(entry)")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("'\(key)'"), "\(error.message)")
        }
        #expect(config == TopicConfig(), "nothing is applied when an entry is bad")
    }

    @Test func aKeyGivenTwiceIsAnInvalidArgument() {
        var config = TopicConfig()
        #expect(throws: SluiceError.self) {
            try config.apply([ConfigEntry(.durability, "normal"), ConfigEntry(.durability, "full")])
        }
    }

    @Test func describeResponseGivesBackTheConfig() throws {
        let config = TopicConfig(partitions: 4, retentionRecords: 10)
        let response = DescribeTopicResponse(
            name: "t", partitionCount: 4, configs: config.configEntries, partitions: [])
        #expect(try response.topicConfig() == config)
    }
}

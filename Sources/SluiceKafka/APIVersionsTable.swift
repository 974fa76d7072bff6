/// One row of the ApiVersions table: an API and the versions of it the broker accepts.
package struct KafkaAPIVersionRange: Sendable, Hashable {
    package var apiKey: Int16
    package var minVersion: Int16
    package var maxVersion: Int16

    package init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
        self.apiKey = apiKey
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    package func contains(_ version: Int16) -> Bool { minVersion <= version && version <= maxVersion }
}

/// The API versions Sluice advertises and decodes (KAFKA-COMPAT.md §1, the Advertise column).
///
/// Every row is every version Apache Kafka 3.9 accepts (its message schemas' `validVersions` on the 3.9 branch:
/// Produce 0–11, Fetch 0–17, ListOffsets 0–9, Metadata 0–12, and the group, coordinator, topic-administration,
/// producer-id, ApiVersions and SASL rows), flexible versions included (`KafkaFlexibleVersions`). A Produce v0–v2
/// carries magic 0/1 message sets, stored as ordinary records; a Fetch v0–v3 is answered with them
/// (`KafkaMessageSetWriter`).
package enum KafkaAPIVersions {
    package static let supported: [KafkaAPIVersionRange] = [
        .init(apiKey: KafkaAPIKey.produce.rawValue, minVersion: 0, maxVersion: 11),
        .init(apiKey: KafkaAPIKey.fetch.rawValue, minVersion: 0, maxVersion: 17),
        .init(apiKey: KafkaAPIKey.listOffsets.rawValue, minVersion: 0, maxVersion: 9),
        .init(apiKey: KafkaAPIKey.metadata.rawValue, minVersion: 0, maxVersion: 12),
        .init(apiKey: KafkaAPIKey.offsetCommit.rawValue, minVersion: 0, maxVersion: 9),
        .init(apiKey: KafkaAPIKey.offsetFetch.rawValue, minVersion: 0, maxVersion: 9),
        .init(apiKey: KafkaAPIKey.findCoordinator.rawValue, minVersion: 0, maxVersion: 6),
        .init(apiKey: KafkaAPIKey.joinGroup.rawValue, minVersion: 0, maxVersion: 9),
        .init(apiKey: KafkaAPIKey.heartbeat.rawValue, minVersion: 0, maxVersion: 4),
        .init(apiKey: KafkaAPIKey.leaveGroup.rawValue, minVersion: 0, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.syncGroup.rawValue, minVersion: 0, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.apiVersions.rawValue, minVersion: 0, maxVersion: 4),
        .init(apiKey: KafkaAPIKey.createTopics.rawValue, minVersion: 0, maxVersion: 7),
        .init(apiKey: KafkaAPIKey.deleteTopics.rawValue, minVersion: 0, maxVersion: 6),
        .init(apiKey: KafkaAPIKey.initProducerId.rawValue, minVersion: 0, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.saslHandshake.rawValue, minVersion: 0, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.saslAuthenticate.rawValue, minVersion: 0, maxVersion: 2),
        // Share groups (KIP-932): v1, the first stable version and the one librdkafka 2.16 sends.
        .init(apiKey: KafkaAPIKey.shareGroupHeartbeat.rawValue, minVersion: 1, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.shareGroupDescribe.rawValue, minVersion: 1, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.shareFetch.rawValue, minVersion: 1, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.shareAcknowledge.rawValue, minVersion: 1, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.describeGroups.rawValue, minVersion: 0, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.listGroups.rawValue, minVersion: 0, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.deleteRecords.rawValue, minVersion: 0, maxVersion: 2),
        .init(apiKey: KafkaAPIKey.offsetForLeaderEpoch.rawValue, minVersion: 0, maxVersion: 4),
        .init(apiKey: KafkaAPIKey.describeConfigs.rawValue, minVersion: 0, maxVersion: 4),
        .init(apiKey: KafkaAPIKey.alterConfigs.rawValue, minVersion: 0, maxVersion: 2),
        .init(apiKey: KafkaAPIKey.describeLogDirs.rawValue, minVersion: 0, maxVersion: 4),
        .init(apiKey: KafkaAPIKey.createPartitions.rawValue, minVersion: 0, maxVersion: 3),
        .init(apiKey: KafkaAPIKey.deleteGroups.rawValue, minVersion: 0, maxVersion: 2),
        .init(apiKey: KafkaAPIKey.incrementalAlterConfigs.rawValue, minVersion: 0, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.offsetDelete.rawValue, minVersion: 0, maxVersion: 0),
        .init(apiKey: KafkaAPIKey.describeCluster.rawValue, minVersion: 0, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.consumerGroupHeartbeat.rawValue, minVersion: 0, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.consumerGroupDescribe.rawValue, minVersion: 0, maxVersion: 0),
    ]

    /// The advertised range of `apiKey`, or `nil` if Sluice does not answer it.
    package static func range(of apiKey: Int16) -> KafkaAPIVersionRange? {
        supported.first { $0.apiKey == apiKey }
    }

    /// Whether a request of this key and version can be decoded.
    package static func isSupported(apiKey: Int16, version: Int16) -> Bool {
        range(of: apiKey)?.contains(version) ?? false
    }
}

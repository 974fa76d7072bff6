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
/// Produce is advertised from 0, not 3: librdkafka 2.0.2 (kcat) only compresses with gzip, snappy and lz4 when
/// the Produce range contains 0. Clients still send v7 with magic-2 batches; a Produce v0–v2 request decodes
/// (it has no transactional id) and its magic 0/1 message sets are refused per partition by the batch decoder
/// with CORRUPT_MESSAGE. Every other range is exactly the table's.
package enum KafkaAPIVersions {
    package static let supported: [KafkaAPIVersionRange] = [
        .init(apiKey: KafkaAPIKey.produce.rawValue, minVersion: 0, maxVersion: 7),
        .init(apiKey: KafkaAPIKey.fetch.rawValue, minVersion: 4, maxVersion: 11),
        .init(apiKey: KafkaAPIKey.listOffsets.rawValue, minVersion: 1, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.metadata.rawValue, minVersion: 1, maxVersion: 12),
        .init(apiKey: KafkaAPIKey.offsetCommit.rawValue, minVersion: 2, maxVersion: 7),
        .init(apiKey: KafkaAPIKey.offsetFetch.rawValue, minVersion: 1, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.findCoordinator.rawValue, minVersion: 0, maxVersion: 2),
        .init(apiKey: KafkaAPIKey.joinGroup.rawValue, minVersion: 0, maxVersion: 5),
        .init(apiKey: KafkaAPIKey.heartbeat.rawValue, minVersion: 0, maxVersion: 3),
        .init(apiKey: KafkaAPIKey.leaveGroup.rawValue, minVersion: 0, maxVersion: 1),
        .init(apiKey: KafkaAPIKey.syncGroup.rawValue, minVersion: 0, maxVersion: 3),
        .init(apiKey: KafkaAPIKey.apiVersions.rawValue, minVersion: 0, maxVersion: 3),
        .init(apiKey: KafkaAPIKey.createTopics.rawValue, minVersion: 2, maxVersion: 4),
        .init(apiKey: KafkaAPIKey.deleteTopics.rawValue, minVersion: 1, maxVersion: 3),
        .init(apiKey: KafkaAPIKey.initProducerId.rawValue, minVersion: 0, maxVersion: 1),
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

/// The Kafka APIs Sluice answers, by their wire key.
package enum KafkaAPIKey: Int16, Sendable, Hashable, CaseIterable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case saslHandshake = 17
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case deleteRecords = 21
    case initProducerId = 22
    case offsetForLeaderEpoch = 23
    case describeConfigs = 32
    case alterConfigs = 33
    case describeLogDirs = 35
    case saslAuthenticate = 36
    case createPartitions = 37
    case deleteGroups = 42
    case incrementalAlterConfigs = 44
    case offsetDelete = 47
    case describeCluster = 60
    case consumerGroupHeartbeat = 68
    case consumerGroupDescribe = 69
    case shareGroupHeartbeat = 76
    case shareGroupDescribe = 77
    case shareFetch = 78
    case shareAcknowledge = 79
}

extension KafkaAPIKey {
    /// APIs flexible at every version (request header v2, response header v1): the share-group APIs.
    package static let alwaysFlexible: Set<Int16> = [76, 77, 78, 79]
}

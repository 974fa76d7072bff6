/// From which version each API Sluice answers is flexible (KIP-482: compact strings, arrays and bytes, tagged
/// fields, request header v2 and response header v1), as Apache Kafka 3.9's message schemas say
/// (`flexibleVersions`). An API without a row is never flexible.
package enum KafkaFlexibleVersions {
    /// The first flexible version of `apiKey`, or nil when no version Sluice speaks is.
    package static func first(apiKey: Int16) -> Int16? {
        switch KafkaAPIKey(rawValue: apiKey) {
        case .produce: 9
        case .fetch: 12
        case .listOffsets: 6
        case .metadata: 9
        case .offsetCommit: 8
        case .offsetFetch: 6
        case .findCoordinator: 3
        case .joinGroup: 6
        case .heartbeat: 4
        case .leaveGroup: 4
        case .syncGroup: 4
        case .apiVersions: 3
        case .createTopics: 5
        case .deleteTopics: 4
        case .initProducerId: 2
        case .saslAuthenticate: 2
        case .consumerGroupHeartbeat, .consumerGroupDescribe: 0
        default: nil
        }
    }

    /// Whether `version` of `apiKey` is a flexible version.
    package static func isFlexible(apiKey: Int16, version: Int16) -> Bool {
        guard let first = first(apiKey: apiKey) else { return false }
        return version >= first
    }

    static func isFlexible(_ key: KafkaAPIKey, _ version: Int16) -> Bool {
        isFlexible(apiKey: key.rawValue, version: version)
    }
}

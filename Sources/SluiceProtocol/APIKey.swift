/// The operation a request asks for: the `apiKey` field of every request header.
///
/// Versions: every API is at version 0 except produce, whose version 1 adds an idempotent producer's sequence
/// numbers per partition, and heartbeat, whose version 1 adds `maxWaitMs` (a held heartbeat). A request is encoded at the lowest version that carries it, so a client that sends no
/// sequences still talks to a server that knows only version 0.
package enum APIKey: Int16, Sendable, Hashable, CaseIterable {
    case apiVersions = 0
    case metadata = 1
    case createTopic = 2
    case deleteTopic = 3
    case describeTopic = 4
    case alterTopic = 5
    case produce = 6
    case fetch = 7
    case listOffsets = 8
    case commitOffsets = 9
    case fetchOffsets = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case describeGroup = 14
    case listGroups = 15
    case deleteGroup = 16
    case resetOffsets = 17
    case initProducerID = 18
    /// The server's metrics as Prometheus text.
    case stats = 19
    /// A consistent backup of every topic and the catalog, written by the server into a folder on its host.
    case backup = 20
    /// Deletes a partition's records below an offset (Kafka's DeleteRecords).
    case deleteRecords = 21

    /// The request versions this build can decode and encode.
    package var supportedVersions: ClosedRange<Int16> {
        switch self {
        case .produce, .heartbeat: 0...1
        default: 0...0
        }
    }

    /// A short name for logs, e.g. `list_offsets`.
    package var name: String {
        switch self {
        case .apiVersions: "api_versions"
        case .metadata: "metadata"
        case .createTopic: "create_topic"
        case .deleteTopic: "delete_topic"
        case .describeTopic: "describe_topic"
        case .alterTopic: "alter_topic"
        case .produce: "produce"
        case .fetch: "fetch"
        case .listOffsets: "list_offsets"
        case .commitOffsets: "commit_offsets"
        case .fetchOffsets: "fetch_offsets"
        case .joinGroup: "join_group"
        case .heartbeat: "heartbeat"
        case .leaveGroup: "leave_group"
        case .describeGroup: "describe_group"
        case .listGroups: "list_groups"
        case .deleteGroup: "delete_group"
        case .resetOffsets: "reset_offsets"
        case .initProducerID: "init_producer_id"
        case .stats: "stats"
        case .backup: "backup"
        case .deleteRecords: "delete_records"
        }
    }
}

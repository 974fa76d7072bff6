/// The operation a request asks for: the `apiKey` field of every request header.
///
/// Keys 11–19 are reserved for consumer groups.
public enum APIKey: Int16, Sendable, Hashable, CaseIterable {
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

    /// The request versions this build can decode and encode.
    public var supportedVersions: ClosedRange<Int16> { 0...0 }

    /// A short name for logs, e.g. `list_offsets`.
    public var name: String {
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
        }
    }
}

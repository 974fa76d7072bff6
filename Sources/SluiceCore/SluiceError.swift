/// Stable error codes shared by the storage layer, the broker, the wire protocol and the client.
///
/// The raw values travel on the wire (`docs/PROTOCOL.md`) and never change meaning; new codes are only added.
public enum ErrorCode: Int16, Sendable, Hashable, CaseIterable {
    case none = 0
    case unknown = 1
    case malformedRequest = 2
    case unsupportedVersion = 3
    case unsupportedRequest = 4
    case unknownTopic = 5
    case unknownPartition = 6
    case topicAlreadyExists = 7
    case invalidTopicName = 8
    case invalidArgument = 9
    case messageTooLarge = 10
    case frameTooLarge = 11
    case offsetOutOfRange = 12
    case tooManyRequests = 13
    case storageError = 14
    case diskFull = 15
    case corruptDatabase = 16
    case notAuthorized = 17
    case timeout = 18
    case shuttingDown = 19
    case schemaTooNew = 20
    case unknownGroup = 21
    case unknownMember = 22
    case staleGeneration = 23
    case rebalanceInProgress = 24
    case groupNotEmpty = 25
    case duplicateSequence = 26
    case outOfOrderSequence = 27
    case connectionClosed = 28
    case topicBeingDeleted = 29
    /// A batch from an older epoch of an idempotent producer than its partition has seen: the producer is fenced.
    case invalidProducerEpoch = 30
    /// A batch names a producer id the broker never handed out.
    case unknownProducerID = 31

    /// Whether a client may retry the same request and expect it to succeed later.
    public var isRetriable: Bool {
        switch self {
        case .tooManyRequests, .timeout, .shuttingDown, .rebalanceInProgress, .connectionClosed, .storageError,
            .diskFull:
            return true
        default:
            return false
        }
    }

    /// A short name for logs and command-line output, e.g. `unknown_topic`.
    public var name: String {
        switch self {
        case .none: "none"
        case .unknown: "unknown"
        case .malformedRequest: "malformed_request"
        case .unsupportedVersion: "unsupported_version"
        case .unsupportedRequest: "unsupported_request"
        case .unknownTopic: "unknown_topic"
        case .unknownPartition: "unknown_partition"
        case .topicAlreadyExists: "topic_already_exists"
        case .invalidTopicName: "invalid_topic_name"
        case .invalidArgument: "invalid_argument"
        case .messageTooLarge: "message_too_large"
        case .frameTooLarge: "frame_too_large"
        case .offsetOutOfRange: "offset_out_of_range"
        case .tooManyRequests: "too_many_requests"
        case .storageError: "storage_error"
        case .diskFull: "disk_full"
        case .corruptDatabase: "corrupt_database"
        case .notAuthorized: "not_authorized"
        case .timeout: "timeout"
        case .shuttingDown: "shutting_down"
        case .schemaTooNew: "schema_too_new"
        case .unknownGroup: "unknown_group"
        case .unknownMember: "unknown_member"
        case .staleGeneration: "stale_generation"
        case .rebalanceInProgress: "rebalance_in_progress"
        case .groupNotEmpty: "group_not_empty"
        case .duplicateSequence: "duplicate_sequence"
        case .outOfOrderSequence: "out_of_order_sequence"
        case .connectionClosed: "connection_closed"
        case .topicBeingDeleted: "topic_being_deleted"
        case .invalidProducerEpoch: "invalid_producer_epoch"
        case .unknownProducerID: "unknown_producer_id"
        }
    }
}

/// The error every Sluice layer throws across its public boundary: a stable code and a message for humans.
public struct SluiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    package static func unknownTopic(_ topic: String) -> SluiceError {
        SluiceError(.unknownTopic, "unknown topic '\(topic)'")
    }

    package static func unknownPartition(_ topic: String, _ partition: Int32, count: Int32) -> SluiceError {
        SluiceError(.unknownPartition, "topic '\(topic)' has no partition \(partition) (it has \(count))")
    }
}

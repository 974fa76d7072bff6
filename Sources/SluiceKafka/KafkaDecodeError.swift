/// Why a Kafka request could not be decoded: the bytes are short, or a field holds a value the protocol forbids.
///
/// Decoders throw it and never trap, whatever the input; the adapter answers it by closing the connection
/// (Kafka brokers do the same with a request they cannot parse).
public struct KafkaDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Fewer bytes remain than a field or a length prefix needs.
        case truncated
        /// A length, count or value is outside what the protocol allows (negative, over a limit, bad UTF-8).
        case invalid
        /// Bytes are left over after the last field of a request body.
        case trailingBytes
    }

    public var kind: Kind
    /// What was being read, for logs.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }

    static func truncated(_ what: String) -> KafkaDecodeError { KafkaDecodeError(.truncated, what) }
    static func invalid(_ what: String) -> KafkaDecodeError { KafkaDecodeError(.invalid, what) }
}

/// A Kafka protocol error code (`org.apache.kafka.common.protocol.Errors`), as carried in responses.
public struct KafkaErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public init(_ rawValue: Int16) { self.rawValue = rawValue }

    public static let unknownServerError = KafkaErrorCode(-1)
    public static let none = KafkaErrorCode(0)
    public static let offsetOutOfRange = KafkaErrorCode(1)
    public static let corruptMessage = KafkaErrorCode(2)
    public static let unknownTopicOrPartition = KafkaErrorCode(3)
    public static let notLeaderOrFollower = KafkaErrorCode(6)
    public static let messageTooLarge = KafkaErrorCode(10)
    public static let coordinatorLoadInProgress = KafkaErrorCode(14)
    public static let coordinatorNotAvailable = KafkaErrorCode(15)
    public static let notCoordinator = KafkaErrorCode(16)
    public static let invalidTopicException = KafkaErrorCode(17)
    public static let invalidRequiredAcks = KafkaErrorCode(21)
    public static let illegalGeneration = KafkaErrorCode(22)
    public static let inconsistentGroupProtocol = KafkaErrorCode(23)
    public static let invalidGroupId = KafkaErrorCode(24)
    public static let unknownMemberId = KafkaErrorCode(25)
    public static let invalidSessionTimeout = KafkaErrorCode(26)
    public static let rebalanceInProgress = KafkaErrorCode(27)
    public static let unsupportedVersion = KafkaErrorCode(35)
    public static let topicAlreadyExists = KafkaErrorCode(36)
    public static let invalidPartitions = KafkaErrorCode(37)
    public static let invalidReplicationFactor = KafkaErrorCode(38)
    public static let notController = KafkaErrorCode(41)
    public static let invalidRequest = KafkaErrorCode(42)
    public static let outOfOrderSequenceNumber = KafkaErrorCode(45)
    public static let invalidProducerEpoch = KafkaErrorCode(47)
    public static let unknownProducerId = KafkaErrorCode(59)
    public static let groupIdNotFound = KafkaErrorCode(69)
    public static let unsupportedCompressionType = KafkaErrorCode(76)
    public static let memberIdRequired = KafkaErrorCode(79)
    public static let invalidRecord = KafkaErrorCode(87)

    public var description: String { String(rawValue) }
}

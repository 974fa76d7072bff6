/// Why a Kafka request could not be decoded: the bytes are short, or a field holds a value the protocol forbids.
///
/// Decoders throw it and never trap, whatever the input; the adapter answers it by closing the connection
/// (Kafka brokers do the same with a request they cannot parse).
package struct KafkaDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// Fewer bytes remain than a field or a length prefix needs.
        case truncated
        /// A length, count or value is outside what the protocol allows (negative, over a limit, bad UTF-8).
        case invalid
        /// Bytes are left over after the last field of a request body.
        case trailingBytes
    }

    package var kind: Kind
    /// What was being read, for logs.
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { "\(kind): \(message)" }

    static func truncated(_ what: String) -> KafkaDecodeError { KafkaDecodeError(.truncated, what) }
    static func invalid(_ what: String) -> KafkaDecodeError { KafkaDecodeError(.invalid, what) }
}

/// A Kafka protocol error code (`org.apache.kafka.common.protocol.Errors`), as carried in responses.
package struct KafkaErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: Int16
    package init(rawValue: Int16) { self.rawValue = rawValue }
    package init(_ rawValue: Int16) { self.rawValue = rawValue }

    package static let unknownServerError = KafkaErrorCode(-1)
    package static let none = KafkaErrorCode(0)
    package static let offsetOutOfRange = KafkaErrorCode(1)
    package static let corruptMessage = KafkaErrorCode(2)
    package static let unknownTopicOrPartition = KafkaErrorCode(3)
    package static let notLeaderOrFollower = KafkaErrorCode(6)
    package static let messageTooLarge = KafkaErrorCode(10)
    package static let coordinatorLoadInProgress = KafkaErrorCode(14)
    package static let coordinatorNotAvailable = KafkaErrorCode(15)
    package static let notCoordinator = KafkaErrorCode(16)
    package static let invalidTopicException = KafkaErrorCode(17)
    package static let invalidRequiredAcks = KafkaErrorCode(21)
    package static let topicAuthorizationFailed = KafkaErrorCode(29)
    package static let illegalGeneration = KafkaErrorCode(22)
    package static let inconsistentGroupProtocol = KafkaErrorCode(23)
    package static let invalidGroupId = KafkaErrorCode(24)
    package static let unknownMemberId = KafkaErrorCode(25)
    package static let invalidSessionTimeout = KafkaErrorCode(26)
    package static let rebalanceInProgress = KafkaErrorCode(27)
    package static let unsupportedVersion = KafkaErrorCode(35)
    package static let unsupportedSaslMechanism = KafkaErrorCode(33)
    package static let illegalSaslState = KafkaErrorCode(34)
    package static let topicAlreadyExists = KafkaErrorCode(36)
    package static let invalidPartitions = KafkaErrorCode(37)
    package static let invalidReplicationFactor = KafkaErrorCode(38)
    package static let notController = KafkaErrorCode(41)
    package static let invalidRequest = KafkaErrorCode(42)
    package static let outOfOrderSequenceNumber = KafkaErrorCode(45)
    package static let invalidProducerEpoch = KafkaErrorCode(47)
    package static let saslAuthenticationFailed = KafkaErrorCode(58)
    package static let unknownProducerId = KafkaErrorCode(59)
    package static let groupIdNotFound = KafkaErrorCode(69)
    package static let unsupportedCompressionType = KafkaErrorCode(76)
    package static let memberIdRequired = KafkaErrorCode(79)
    package static let invalidRecord = KafkaErrorCode(87)
    package static let groupMaxSizeReached = KafkaErrorCode(81)
    package static let unknownTopicId = KafkaErrorCode(100)
    package static let invalidRecordState = KafkaErrorCode(121)
    package static let shareSessionNotFound = KafkaErrorCode(122)
    package static let invalidShareSessionEpoch = KafkaErrorCode(123)
    package static let shareSessionLimitReached = KafkaErrorCode(133)

    package var description: String { String(rawValue) }
}

import SluiceBroker
import SluiceCore
import SluiceKafka

extension KafkaErrorCode {
    static let requestTimedOut = KafkaErrorCode(7)
    static let topicAuthorizationFailed = KafkaErrorCode(29)
    static let groupAuthorizationFailed = KafkaErrorCode(30)
    static let clusterAuthorizationFailed = KafkaErrorCode(31)
    static let invalidConfig = KafkaErrorCode(40)
    static let duplicateSequenceNumber = KafkaErrorCode(46)
    static let transactionalIdAuthorizationFailed = KafkaErrorCode(53)
    static let offsetMetadataTooLarge = KafkaErrorCode(12)
    static let kafkaStorageError = KafkaErrorCode(56)

    /// The Kafka error a client expects for a Sluice error, chosen so that its retry logic does the right thing:
    /// a full disk or a server shutting down is retriable, a bad request is not.
    init(_ error: SluiceError) {
        self =
            switch error.code {
            case .none: .none
            case .unknownTopic, .unknownPartition, .topicBeingDeleted: .unknownTopicOrPartition
            case .offsetOutOfRange: .offsetOutOfRange
            case .messageTooLarge, .frameTooLarge: .messageTooLarge
            case .invalidTopicName: .invalidTopicException
            case .topicAlreadyExists: .topicAlreadyExists
            case .outOfOrderSequence: .outOfOrderSequenceNumber
            case .duplicateSequence: .duplicateSequenceNumber
            case .invalidProducerEpoch: .invalidProducerEpoch
            case .unknownProducerID: .unknownProducerId
            case .notAuthorized: .topicAuthorizationFailed
            case .timeout: .requestTimedOut
            case .diskFull, .storageError, .corruptDatabase: .kafkaStorageError
            // Retriable: the client refreshes its metadata and tries again, by which time the server is back.
            case .shuttingDown: .notLeaderOrFollower
            case .unknownMember: .unknownMemberId
            case .staleGeneration: .illegalGeneration
            case .rebalanceInProgress: .rebalanceInProgress
            case .invalidArgument, .malformedRequest: .invalidRequest
            default: .unknownServerError
            }
    }

    init(_ error: ClassicGroupError) {
        self.init(error.rawValue)
    }
}

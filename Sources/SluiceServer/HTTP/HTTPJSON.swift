import NIOHTTP1
import SluiceCore
import SluiceProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The HTTP API's JSON: native responses rendered with snake_case fields, records with their keys and values as
/// text or base64, and errors with their stable codes.
enum HTTPJSON {
    typealias Body = [UInt8]

    static func encode(_ value: some Encodable) -> Body {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        // Every value rendered here is made of strings, integers, arrays and objects, which always encode.
        return (try? Array(encoder.encode(value))) ?? Array(#"{"error":{"code":"unknown"}}"#.utf8)
    }

    /// An error's body, `{"error": {"code": "unknown_topic", "message": "..."}}`.
    static func error(_ error: SluiceError) -> Body {
        struct Wrapped: Encodable {
            struct Inner: Encodable {
                var code: String
                var message: String
                var retriable: Bool
            }
            var error: Inner
        }
        return encode(
            Wrapped(error: .init(code: error.code.name, message: error.message, retriable: error.code.isRetriable)))
    }

    /// The HTTP status that fits an error's code.
    static func status(of error: SluiceError) -> HTTPResponseStatus {
        switch error.code {
        case .unknownTopic, .unknownPartition, .unknownGroup, .unknownMember, .unsupportedRequest: .notFound
        case .invalidArgument, .invalidTopicName, .malformedRequest, .offsetOutOfRange, .unsupportedVersion:
            .badRequest
        case .notAuthorized: .forbidden
        case .topicAlreadyExists, .groupNotEmpty, .topicBeingDeleted, .staleGeneration, .rebalanceInProgress:
            .conflict
        case .messageTooLarge, .frameTooLarge: .payloadTooLarge
        case .tooManyRequests: .tooManyRequests
        case .shuttingDown: .serviceUnavailable
        case .timeout: .gatewayTimeout
        case .diskFull: .insufficientStorage
        default: .internalServerError
        }
    }

    /// A description of a JSON decoding failure that names the field.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "" : " at \(names.joined(separator: "."))"
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "'\(key.stringValue)' is missing\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription + path(context)
        @unknown default: return "\(decoding)"
        }
    }

    static func configEntries(_ config: [String: HTTPConfigValue]?) -> [ConfigEntry] {
        (config ?? [:]).sorted { $0.key < $1.key }.map { ConfigEntry(key: $0.key, value: $0.value.text) }
    }

    // MARK: - Native responses

    struct PartitionBounds: Encodable {
        var partition: Int32
        var logStartOffset: Int64
        var nextOffset: Int64
        var sizeBytes: Int64?
    }

    static func topics(_ response: Response) throws(SluiceError) -> Body {
        guard case .metadata(let metadata) = response else { throw unexpected(response) }
        struct Topic: Encodable {
            var name: String
            var partitions: [PartitionBounds]
            var records: Int64
        }
        let topics = metadata.topics.filter { $0.error == nil }.map { topic in
            Topic(
                name: topic.name,
                partitions: topic.partitions.map {
                    PartitionBounds(
                        partition: $0.partition, logStartOffset: $0.logStartOffset, nextOffset: $0.nextOffset)
                },
                records: topic.partitions.reduce(0) { $0 + $1.nextOffset - $1.logStartOffset })
        }
        return encode(["topics": topics])
    }

    static func topic(_ response: Response) throws(SluiceError) -> Body {
        guard case .describeTopic(let topic) = response else { throw unexpected(response) }
        struct Topic: Encodable {
            var name: String
            var partitionCount: Int32
            var config: [String: String?]
            var partitions: [PartitionBounds]
        }
        var config: [String: String?] = [:]
        for entry in topic.configs { config[entry.key] = .some(entry.value) }
        return encode(
            Topic(
                name: topic.name, partitionCount: topic.partitionCount, config: config,
                partitions: topic.partitions.map {
                    PartitionBounds(
                        partition: $0.partition, logStartOffset: $0.logStartOffset, nextOffset: $0.nextOffset,
                        sizeBytes: $0.sizeBytes)
                }))
    }

    static func groups(_ response: Response) throws(SluiceError) -> Body {
        guard case .listGroups(let list) = response else { throw unexpected(response) }
        struct Group: Encodable {
            var name: String
            var state: String
            var members: Int32
        }
        return encode([
            "groups": list.groups.map { Group(name: $0.name, state: $0.state.rawValue, members: $0.memberCount) }
        ])
    }

    static func group(_ response: Response) throws(SluiceError) -> Body {
        guard case .describeGroup(let group) = response else { throw unexpected(response) }
        struct Assigned: Encodable {
            var topic: String
            var partitions: [Int32]
        }
        struct Member: Encodable {
            var memberId: String
            var clientId: String
            var topics: [String]
            var owned: [Assigned]
        }
        struct Partition: Encodable {
            var partition: Int32
            var owner: String?
            var committedOffset: Int64?
            var endOffset: Int64
            var lag: Int64?
        }
        struct Topic: Encodable {
            var name: String
            var partitions: [Partition]
            var lag: Int64
        }
        struct Group: Encodable {
            var group: String
            var state: String
            var generation: Int32
            var members: [Member]
            var topics: [Topic]
            var lag: Int64
        }
        let topics = group.topics.map { topic in
            Topic(
                name: topic.name,
                partitions: topic.partitions.map {
                    Partition(
                        partition: $0.partition, owner: $0.owner, committedOffset: $0.committedOffset,
                        endOffset: $0.endOffset, lag: $0.lag)
                },
                lag: topic.partitions.reduce(0) { $0 + ($1.lag ?? 0) })
        }
        return encode(
            Group(
                group: group.group, state: group.state.rawValue, generation: group.generation,
                members: group.members.map { member in
                    Member(
                        memberId: member.memberID, clientId: member.clientID, topics: member.topics,
                        owned: member.owned.map { Assigned(topic: $0.name, partitions: $0.partitions) })
                },
                topics: topics, lag: topics.reduce(0) { $0 + $1.lag }))
    }

    static func reset(_ response: Response) throws(SluiceError) -> Body {
        guard case .resetOffsets(let reset) = response else { throw unexpected(response) }
        struct Partition: Encodable {
            var partition: Int32
            var offset: Int64
        }
        return encode(["partitions": reset.partitions.map { Partition(partition: $0.partition, offset: $0.offset) }])
    }

    static func unexpected(_ response: Response) -> SluiceError {
        SluiceError(.unknown, "the server answered \(response.apiKey.name) where the endpoint expected another answer")
    }

    // MARK: - Records

    /// A stored record as JSON: key and value as text when they are UTF-8 (and `base64` is false), under
    /// `key_base64`/`value_base64` otherwise; headers likewise.
    struct RecordOut: Encodable {
        var offset: Int64
        var timestamp: Int64
        var key: String?
        var keyBase64: String?
        var value: String?
        var valueBase64: String?
        var headers: [HeaderOut]

        struct HeaderOut: Encodable {
            var name: String
            var value: String?
            var valueBase64: String?
        }

        init(_ record: Record, base64: Bool) {
            offset = record.offset
            timestamp = record.timestamp
            (key, keyBase64) = Self.text(record.key, base64: base64)
            (value, valueBase64) = Self.text(record.value, base64: base64)
            headers = record.headers.map { header in
                let (text, encoded) = Self.text(header.value, base64: base64)
                return HeaderOut(name: header.name, value: text, valueBase64: encoded)
            }
        }

        static func text(_ bytes: [UInt8]?, base64: Bool) -> (String?, String?) {
            guard let bytes else { return (nil, nil) }
            if !base64, let text = String(validating: bytes, as: UTF8.self) { return (text, nil) }
            return (nil, Data(bytes).base64EncodedString())
        }
    }

    struct ReadOut: Encodable {
        var topic: String
        var partition: Int32
        var records: [RecordOut]
        /// Where the next read should start: after the last record given, or where this one started.
        var nextOffset: Int64
        var highWatermark: Int64
        var logStartOffset: Int64
    }

    struct ProducedOut: Encodable {
        struct Offset: Encodable {
            var partition: Int32
            var offset: Int64
        }
        var topic: String
        var offsets: [Offset]
    }
}

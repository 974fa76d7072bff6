import NIOHTTP1
import SluiceCore
import SluiceProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One HTTP request as the API reads it: the method, the path split at `/` (percent-decoded), the query and the
/// body, whole.
struct HTTPAPIRequest: Sendable {
    var method: HTTPMethod
    var path: [String]
    var query: [String: String]
    /// `Last-Event-ID`, for a stream that resumes.
    var lastEventID: String?
    var body: [UInt8]

    init(head: HTTPRequestHead, body: [UInt8]) {
        method = head.method
        let uri = head.uri
        let (path, query) =
            if let mark = uri.firstIndex(of: "?") {
                (uri[..<mark], uri[uri.index(after: mark)...])
            } else {
                (uri[...], ""[...])
            }
        self.path = path.split(separator: "/").map { Self.percentDecoded($0) }
        var parsed: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.percentDecoded(parts[0])
            parsed[name] = parts.count > 1 ? Self.percentDecoded(parts[1]) : ""
        }
        self.query = parsed
        lastEventID = head.headers.first(name: "Last-Event-ID")
        self.body = body
    }

    /// `text` with `%XX` escapes decoded (and `+` as a space in a query); undecodable escapes are left as written.
    static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") || text.contains("+") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The query parameter `name` as an integer in `range`, `fallback` when absent.
    func integer<T: FixedWidthInteger>(_ name: String, in range: ClosedRange<T>, default fallback: T)
        throws(SluiceError) -> T
    {
        guard let text = query[name] else { return fallback }
        guard let value = T(text), range.contains(value) else {
            throw SluiceError(
                .invalidArgument,
                "query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
            )
        }
        return value
    }

    /// The body decoded as JSON into `T`; a clear `invalidArgument` when it is not.
    func json<T: Decodable>(_ type: T.Type) throws(SluiceError) -> T {
        guard !body.isEmpty else { throw SluiceError(.invalidArgument, "the request needs a JSON body") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw SluiceError(
                .invalidArgument, "the body is not the JSON this endpoint takes: \(HTTPJSON.describe(error))")
        }
    }
}

/// What an API path asks for: a native request, answered as JSON, or one of the few things only HTTP does.
enum HTTPRoute: Sendable {
    /// A native request through the dispatcher (so the access policy, limits and ranges apply as on the socket);
    /// its response rendered by `render`.
    case native(Request, status: HTTPResponseStatus, render: @Sendable (Response) throws(SluiceError) -> HTTPJSON.Body)
    /// `POST /v1/topics/T/records`: partitions picked here, then a produce.
    case produce(topic: String, records: [HTTPRecordIn])
    /// `GET /v1/topics/T/partitions/P/records`: a fetch from an offset, cut to `limit` records.
    case read(HTTPRead)
    /// `GET /v1/topics/T/partitions/P/stream`: Server-Sent Events, one per record.
    case stream(HTTPRead)
    /// `POST /v1/share-groups/G/members/M/records`: a heartbeat, then a share fetch over the member's partitions.
    case acquire(HTTPShareAcquire)
    /// `POST /v1/share-groups/G/members/M/acknowledgements`: answered with every partition's result.
    case acknowledge(ShareAcknowledgeRequest)
    /// `GET /`: the status page; with `topic` (and `partition`, `offset`, `hex`) in the query, the record browser
    /// shows that partition's records from there.
    case statusPage(HTTPRead?, hex: Bool)
    /// `GET /v1/health`: the server answers.
    case health
    /// `GET /v1/status`: the status page's summary as JSON.
    case status
    /// `GET /v1/status/stream`: that summary as Server-Sent Events, every `HTTPAPI.statusInterval` while open;
    /// with `sections=1` also the status page's sections rendered again (what the page listens to).
    case statusStream(sections: Bool)
    /// `POST /v1/topics/T/redrive`: dead letters sent back to the topics they came from.
    case redrive(HTTPRedrive)

    /// The route for `request`, or the error to answer (`unsupportedRequest` for a path or method the API has not).
    static func resolve(_ request: HTTPAPIRequest) throws(SluiceError) -> HTTPRoute {
        let path = request.path
        let method = request.method
        if path.isEmpty {
            guard method == .GET || method == .HEAD else { throw notAllowed(method, "/") }
            guard let topic = request.query["topic"], !topic.isEmpty else { return .statusPage(nil, hex: false) }
            let partition = try request.integer("partition", in: 0...Int32.max, default: 0)
            var browse = request
            if browse.query["offset"] == "" { browse.query["offset"] = nil }
            browse.query["limit"] = "50"
            var read = try HTTPRead(topic: topic, partition: partition, request: browse)
            read.base64 = true
            return .statusPage(read, hex: request.query["hex"] != nil)
        }
        guard path[0] == "v1" else { throw notFound(request) }
        let rest = Array(path.dropFirst())
        switch (method, rest.count, rest.first) {
        case (.GET, 1, "health"):
            return .health
        case (.GET, 1, "status"):
            return .status
        case (.GET, 2, "status") where rest[1] == "stream":
            return .statusStream(sections: request.query["sections"] == "1")
        case (_, _, "topics"):
            return try topicRoute(request, rest)
        case (_, _, "groups"):
            return try groupRoute(request, rest)
        case (_, _, "share-groups"):
            return try shareGroupRoute(request, rest)
        default:
            throw notFound(request)
        }
    }

    private static func topicRoute(_ request: HTTPAPIRequest, _ path: [String]) throws(SluiceError) -> HTTPRoute {
        switch (request.method, path.count) {
        case (.GET, 1):
            return .native(.metadata(MetadataRequest(topics: nil)), status: .ok, render: HTTPJSON.topics)
        case (.POST, 1):
            let body = try request.json(HTTPTopicCreate.self)
            return .native(
                .createTopic(
                    CreateTopicRequest(
                        name: body.name, partitions: body.partitions ?? 1, configs: HTTPJSON.configEntries(body.config))
                ),
                status: .created, render: { _ in HTTPJSON.encode(["created": body.name]) })
        case (.GET, 2):
            return .native(
                .describeTopic(DescribeTopicRequest(name: path[1])), status: .ok, render: HTTPJSON.topic)
        case (.PATCH, 2):
            let body = try request.json(HTTPTopicAlter.self)
            let name = path[1]
            return .native(
                .alterTopic(
                    AlterTopicRequest(
                        name: name, partitions: body.partitions, configs: HTTPJSON.configEntries(body.config))),
                status: .ok, render: { _ in HTTPJSON.encode(["altered": name]) })
        case (.DELETE, 2):
            let name = path[1]
            return .native(
                .deleteTopic(DeleteTopicRequest(name: name)), status: .ok,
                render: { _ in HTTPJSON.encode(["deleted": name]) })
        case (.POST, 3) where path[2] == "redrive":
            return .redrive(try HTTPRedrive(topic: path[1], request: request))
        case (.POST, 3) where path[2] == "records":
            let records = try HTTPRecordIn.batch(from: request)
            return .produce(topic: path[1], records: records)
        case (.GET, 5) where path[2] == "partitions" && (path[4] == "records" || path[4] == "stream"):
            guard let partition = Int32(path[3]), partition >= 0 else {
                throw SluiceError(.invalidArgument, "a partition is a number from 0, not '\(path[3])'")
            }
            let read = try HTTPRead(topic: path[1], partition: partition, request: request)
            return path[4] == "records" ? .read(read) : .stream(read)
        default:
            throw request.path.count > 1 && [.GET, .POST, .PATCH, .DELETE].contains(request.method)
                ? notFound(request) : notAllowed(request.method, "/" + request.path.joined(separator: "/"))
        }
    }

    private static func groupRoute(_ request: HTTPAPIRequest, _ path: [String]) throws(SluiceError) -> HTTPRoute {
        switch (request.method, path.count) {
        case (.GET, 1):
            return .native(.listGroups(ListGroupsRequest()), status: .ok, render: HTTPJSON.groups)
        case (.GET, 2):
            return .native(.describeGroup(DescribeGroupRequest(group: path[1])), status: .ok, render: HTTPJSON.group)
        case (.DELETE, 2):
            let group = path[1]
            return .native(
                .deleteGroup(DeleteGroupRequest(group: group)), status: .ok,
                render: { _ in HTTPJSON.encode(["deleted": group]) })
        case (.POST, 3) where path[2] == "reset-offsets":
            let body = try request.json(HTTPResetOffsets.self)
            return .native(
                .resetOffsets(ResetOffsetsRequest(group: path[1], topic: body.topic, mode: try body.mode())),
                status: .ok, render: HTTPJSON.reset)
        default:
            throw notFound(request)
        }
    }

    static func notFound(_ request: HTTPAPIRequest) -> SluiceError {
        SluiceError(
            .unsupportedRequest,
            "no endpoint \(request.method) /\(request.path.joined(separator: "/")); see docs/HTTP.md")
    }

    static func notAllowed(_ method: HTTPMethod, _ path: String) -> SluiceError {
        SluiceError(.unsupportedRequest, "\(method) is not an operation on \(path); see docs/HTTP.md")
    }
}

/// A read from one partition: where from, how many records at most, how long to wait for the first.
struct HTTPRead: Sendable {
    enum Start: Sendable, Equatable {
        case offset(Int64)
        case earliest
        case latest
    }

    var topic: String
    var partition: Int32
    var start: Start
    var limit: Int
    var waitMs: Int32
    var maxBytes: Int32
    /// Keys and values as base64 always, rather than as text when they are UTF-8.
    var base64: Bool

    static let maxLimit = 10_000
    static let maxWaitMs: Int32 = 60_000

    init(topic: String, partition: Int32, request: HTTPAPIRequest) throws(SluiceError) {
        self.topic = topic
        self.partition = partition
        // A stream resumes after the last event its client saw.
        if let last = request.lastEventID, let seen = Int64(last), seen >= -1 {
            start = .offset(seen + 1)
        } else {
            switch request.query["offset"] {
            case nil, "earliest": start = .earliest
            case "latest": start = .latest
            case let text?:
                guard let offset = Int64(text), offset >= 0 else {
                    throw SluiceError(
                        .invalidArgument, "offset must be a number from 0, 'earliest' or 'latest', not '\(text)'")
                }
                start = .offset(offset)
            }
        }
        limit = try request.integer("limit", in: 1...Self.maxLimit, default: 100)
        waitMs = try request.integer("wait_ms", in: 0...Self.maxWaitMs, default: 0)
        maxBytes = try request.integer("max_bytes", in: 1...Int32.max, default: 1 << 20)
        switch request.query["encoding"] {
        case nil, "text": base64 = false
        case "base64": base64 = true
        case let other?:
            throw SluiceError(.invalidArgument, "encoding must be 'text' or 'base64', not '\(other)'")
        }
    }
}

/// `POST /v1/topics`'s body.
struct HTTPTopicCreate: Decodable, Sendable {
    var name: String
    var partitions: Int32?
    var config: [String: HTTPConfigValue]?
}

/// `PATCH /v1/topics/T`'s body.
struct HTTPTopicAlter: Decodable, Sendable {
    var partitions: Int32?
    var config: [String: HTTPConfigValue]?
}

/// A setting's value as JSON gives it: a string, a number or `null` (back to the default).
struct HTTPConfigValue: Decodable, Sendable {
    var text: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            text = nil
        } else if let number = try? container.decode(Int64.self) {
            text = String(number)
        } else if let flag = try? container.decode(Bool.self) {
            text = String(flag)
        } else {
            text = try container.decode(String.self)
        }
    }
}

/// `POST /v1/groups/G/reset-offsets`'s body: `{"topic": "t", "to": "earliest" | "latest" | {"offset": N} |
/// {"timestamp": MS}}`.
struct HTTPResetOffsets: Decodable, Sendable {
    struct Target: Decodable, Sendable {
        var named: String?
        var offset: Int64?
        var timestamp: Int64?

        enum CodingKeys: String, CodingKey { case offset, timestamp }

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                named = text
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            offset = try container.decodeIfPresent(Int64.self, forKey: .offset)
            timestamp = try container.decodeIfPresent(Int64.self, forKey: .timestamp)
        }
    }

    var topic: String
    var to: Target

    func mode() throws(SluiceError) -> ResetOffsetsRequest.Mode {
        switch (to.named, to.offset, to.timestamp) {
        case ("earliest", nil, nil): return .earliest
        case ("latest", nil, nil): return .latest
        case (nil, let offset?, nil): return .offset(offset)
        case (nil, nil, let timestamp?): return .timestamp(timestamp)
        default:
            throw SluiceError(
                .invalidArgument, "'to' must be \"earliest\", \"latest\", {\"offset\": N} or {\"timestamp\": MS}")
        }
    }
}

/// One record of `POST /v1/topics/T/records`: value (and key) as text, or as base64 under `value_base64`.
struct HTTPRecordIn: Decodable, Sendable {
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [Header]
    var partition: Int32?
    var timestamp: Int64?

    enum CodingKeys: String, CodingKey {
        case key, value, headers, partition, timestamp
        case keyBase64 = "key_base64"
        case valueBase64 = "value_base64"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try Self.bytes(container, text: .key, base64: .keyBase64)
        value = try Self.bytes(container, text: .value, base64: .valueBase64)
        let named = try container.decodeIfPresent([String: String?].self, forKey: .headers) ?? [:]
        headers = named.sorted { $0.key < $1.key }.map { Header(name: $0.key, value: $0.value.map { Array($0.utf8) }) }
        partition = try container.decodeIfPresent(Int32.self, forKey: .partition)
        timestamp = try container.decodeIfPresent(Int64.self, forKey: .timestamp)
    }

    private static func bytes(
        _ container: KeyedDecodingContainer<CodingKeys>, text: CodingKeys, base64: CodingKeys
    ) throws -> [UInt8]? {
        if let encoded = try container.decodeIfPresent(String.self, forKey: base64) {
            guard let data = Data(base64Encoded: encoded) else {
                throw DecodingError.dataCorruptedError(
                    forKey: base64, in: container, debugDescription: "\(base64.rawValue) is not base64")
            }
            return Array(data)
        }
        return try container.decodeIfPresent(String.self, forKey: text).map { Array($0.utf8) }
    }

    /// The records of a produce body: `{"records": [...]}` or one record object.
    static func batch(from request: HTTPAPIRequest) throws(SluiceError) -> [HTTPRecordIn] {
        struct Batch: Decodable { var records: [HTTPRecordIn] }
        // An object with a `records` field is a batch (and its errors are the batch's); any other, one record.
        let isBatch = String(decoding: request.body, as: UTF8.self).contains("\"records\"")
        let records = isBatch ? try request.json(Batch.self).records : [try request.json(HTTPRecordIn.self)]
        guard !records.isEmpty else { throw SluiceError(.invalidArgument, "the body has no records") }
        return records
    }
}

import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// One request at a time over a `RawConnection`, for tests that set up topics and check what is stored.
///
/// Each method sends one request, waits for its answer and returns its payload; a top-level error is thrown, a
/// per-partition error is returned in the payload. No answer within the connection's timeout throws `.timeout`.
extension RawConnection {
    func call(_ request: Request) throws -> Response {
        let id = Int32.random(in: 0...Int32.max)
        send(request, correlationID: id)
        guard let frame = readResponse() else {
            throw SluiceError(.timeout, "no answer to \(request.apiKey.name) (connection closed or timed out)")
        }
        guard frame.correlationID == id else {
            throw SluiceError(.unknown, "answer for correlation id \(frame.correlationID), expected \(id)")
        }
        return try frame.response(to: request.apiKey)
    }

    func createTopic(_ name: String, partitions: Int32 = 1, configs: [ConfigEntry] = []) throws {
        _ = try call(.createTopic(CreateTopicRequest(name: name, partitions: partitions, configs: configs)))
    }

    /// Appends `values` to one partition; returns the partition's outcome (its error, or its base offset).
    func produce(_ topic: String, partition: Int32 = 0, values: [[UInt8]]) throws -> ProduceResponse.Partition {
        let records = values.map { ProducerRecord(value: $0) }
        let response = try call(
            .produce(
                ProduceRequest(
                    timeoutMs: 10_000,
                    topics: [
                        .init(name: topic, partitions: [.init(partition: partition, records: records)])
                    ])))
        guard case .produce(let produce) = response, let result = produce.topics.first?.partitions.first else {
            throw SluiceError(.unknown, "not a produce response: \(response)")
        }
        return result
    }

    func produce(_ topic: String, partition: Int32 = 0, strings: [String]) throws -> ProduceResponse.Partition {
        try produce(topic, partition: partition, values: strings.map { Array($0.utf8) })
    }

    /// One fetch of one partition from `offset`, without waiting.
    func fetch(_ topic: String, partition: Int32 = 0, from offset: Int64 = 0) throws -> FetchResponse.Partition {
        let response = try call(
            .fetch(
                FetchRequest(
                    maxWaitMs: 0, minBytes: 1, maxBytes: 4 << 20,
                    topics: [
                        .init(
                            name: topic,
                            partitions: [.init(partition: partition, offset: offset, partitionMaxBytes: 4 << 20)])
                    ])))
        guard case .fetch(let fetch) = response, let result = fetch.topics.first?.partitions.first else {
            throw SluiceError(.unknown, "not a fetch response: \(response)")
        }
        return result
    }

    /// Every record of a partition, from its log start to its high watermark; a partition error is thrown.
    func readAll(_ topic: String, partition: Int32 = 0) throws -> [Record] {
        var records: [Record] = []
        var offset: Int64 = 0
        while true {
            let part = try fetch(topic, partition: partition, from: offset)
            if part.error?.code == .offsetOutOfRange, records.isEmpty, offset < part.logStartOffset {
                offset = part.logStartOffset  // Retention removed the first records.
                continue
            }
            if let error = part.error { throw error }
            if part.records.isEmpty { return records }
            records += part.records
            offset = part.records.last!.offset + 1
        }
    }

    /// The values of every record of a partition, as text.
    func readAllStrings(_ topic: String, partition: Int32 = 0) throws -> [String] {
        try readAll(topic, partition: partition).map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    func describeTopic(_ name: String) throws -> DescribeTopicResponse {
        guard case .describeTopic(let description) = try call(.describeTopic(DescribeTopicRequest(name: name))) else {
            throw SluiceError(.unknown, "not a describe_topic response")
        }
        return description
    }

    func metadata(_ topics: [String]? = nil) throws -> MetadataResponse {
        guard case .metadata(let metadata) = try call(.metadata(MetadataRequest(topics: topics))) else {
            throw SluiceError(.unknown, "not a metadata response")
        }
        return metadata
    }

    /// Commits offsets from outside any group generation (the group must have no members).
    func commit(group: String, _ topic: String, offsets: [Int32: Int64]) throws -> CommitOffsetsResponse {
        let partitions = offsets.sorted { $0.key < $1.key }.map {
            CommitOffsetsRequest.Partition(partition: $0.key, offset: $0.value)
        }
        guard
            case .commitOffsets(let response) = try call(
                .commitOffsets(
                    CommitOffsetsRequest(
                        group: group, topics: [.init(name: topic, partitions: partitions)])))
        else {
            throw SluiceError(.unknown, "not a commit_offsets response")
        }
        return response
    }

    /// The group's committed offsets for `topic`, by partition.
    func committedOffsets(group: String, _ topic: String) throws -> [Int32: Int64] {
        guard case .fetchOffsets(let response) = try call(.fetchOffsets(FetchOffsetsRequest(group: group, topics: nil)))
        else {
            throw SluiceError(.unknown, "not a fetch_offsets response")
        }
        var offsets: [Int32: Int64] = [:]
        for entry in response.topics where entry.name == topic {
            for partition in entry.partitions { offsets[partition.partition] = partition.offset }
        }
        return offsets
    }
}

/// `sqlite3 PATH 'PRAGMA integrity_check'` when the sqlite3 command is installed: `nil` without it, else its output
/// (`ok` for a sound database).
func sqliteIntegrityCheck(_ path: String) -> String? {
    guard
        let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        })
    else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: sqlite3)
    process.arguments = [path, "PRAGMA integrity_check"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    guard (try? process.run()) != nil else { return nil }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

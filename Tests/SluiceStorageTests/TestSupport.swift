import Foundation
import SluiceCore
import SluiceStorage
import Testing

/// A fixed "now" for appends, in milliseconds since the Unix epoch (2023-11-14).
let t0: Int64 = 1_700_000_000_000

/// Runs `body` with the path of a fresh directory under the system's temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

private func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-storage-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
}

/// Expects `body` to throw a `SluiceError` with `code`, and returns the error.
@discardableResult
func expectError<R>(
    _ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> SluiceError? {
    let error = #expect(throws: SluiceError.self, sourceLocation: sourceLocation) { _ = try body() }
    if let error {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    }
    return error
}

/// Constant SQL run on a database file through a connection of its own, closed before returning: the test's way
/// to reach behind the storage layer's back.
func rawExecute(_ path: String, _ sql: String) throws {
    let connection = try Connection(path: path, flags: [.readWrite, .create])
    try connection.execute(sql)
}

func rawScalar(_ path: String, _ sql: String) throws -> Int64? {
    let connection = try Connection(path: path, flags: [.readWrite])
    return try connection.scalarInt(sql)
}

func fileExists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: path)
}

/// `count` records with key `k<i>` and value `v<i>`, `i` counted from `first`.
func records(_ count: Int, from first: Int = 0) -> [ProducerRecord] {
    (first..<first + count).map { ProducerRecord(key: Array("k\($0)".utf8), value: Array("v\($0)".utf8)) }
}

extension TopicReader {
    /// Every record of a partition from `offset` on, read in chunks.
    func readAll(partition: Int32, from offset: Int64 = 0) throws -> [Record] {
        var result: [Record] = []
        var next = offset
        while true {
            let chunk: [Record] = try read(partition: partition, from: next, maxRecords: 1000, maxBytes: .max)
            guard let last = chunk.last else { return result }
            result += chunk
            next = last.offset + 1
        }
    }
}

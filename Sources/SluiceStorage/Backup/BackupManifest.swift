import SluiceCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a backup holds, written last as `manifest.json` in the backup's folder: a backup without one is incomplete.
///
/// JSON with snake_case keys: `format` ("sluice-backup") and `version` (1), `created_ms`, the `catalog` file and one
/// entry per topic with its file and its partitions' offsets. Every file is listed with its size and SHA-256, so
/// that a restore refuses a file that was cut short or damaged.
package struct BackupManifest: Sendable, Equatable, Codable {
    package static let fileName = "manifest.json"
    package static let formatName = "sluice-backup"
    /// The newest format this build writes and reads; a manifest of a newer one is refused.
    package static let currentVersion = 1

    package var format: String
    package var version: Int
    /// When the snapshots were taken, in milliseconds since the Unix epoch.
    package var createdMs: Int64
    /// The Sluice that wrote it.
    package var software: String
    package var catalog: File
    package var topics: [Topic]

    /// A file of the backup, by its path relative to the backup's folder (also its path in a data directory).
    package struct File: Sendable, Equatable, Codable {
        package var path: String
        package var bytes: Int64
        package var sha256: String
    }

    package struct Topic: Sendable, Equatable, Codable {
        package var name: String
        package var file: File
        package var partitions: [Partition]
    }

    /// A partition as the topic's snapshot held it: records `logStartOffset..<nextOffset` (fewer than that many
    /// under compaction: `records` counts them).
    package struct Partition: Sendable, Equatable, Codable {
        package var partition: Int32
        package var logStartOffset: Int64
        package var nextOffset: Int64
        package var records: Int64
    }

    /// Every file, the catalog first.
    package var files: [File] { [catalog] + topics.map(\.file) }

    /// Bytes of every file together.
    package var totalBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }

    /// Records of every topic together.
    package var totalRecords: Int64 { topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.records } } }

    // MARK: - Text

    /// The manifest as JSON text: keys sorted, one per line, so that it reads well and diffs well.
    package func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Encoding plain strings and integers cannot fail.
        return Array(try! encoder.encode(self)) + [0x0A]
    }

    /// Parses and checks a manifest's text. Throws `.invalidArgument` saying what is wrong.
    package static func parse(_ bytes: [UInt8], source: String) throws(SluiceError) -> BackupManifest {
        let manifest: BackupManifest
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            manifest = try decoder.decode(BackupManifest.self, from: Data(bytes))
        } catch {
            throw SluiceError(.invalidArgument, "\(source) is not a backup manifest that can be read: \(error)")
        }
        guard manifest.format == formatName else {
            throw SluiceError(
                .invalidArgument, "\(source) is not a Sluice backup manifest (format '\(manifest.format)')")
        }
        guard manifest.version <= currentVersion else {
            throw SluiceError(
                .schemaTooNew,
                """
                \(source) is backup format \(manifest.version); this Sluice reads formats up to \(currentVersion)
                """)
        }
        try manifest.validate(source: source)
        return manifest
    }

    /// Checks that every path is one a data directory holds (so a restore never writes outside its target), names
    /// are topic names, and offsets are in order.
    func validate(source: String) throws(SluiceError) {
        func refuse(_ why: String) -> SluiceError { SluiceError(.invalidArgument, "\(source): \(why)") }
        guard catalog.path == Backup.catalogFile else { throw refuse("the catalog must be '\(Backup.catalogFile)'") }
        var names: Set<String> = []
        for topic in topics {
            do {
                try TopicName.validate(topic.name)
            } catch {
                throw refuse("'\(topic.name)' is not a topic name")
            }
            guard names.insert(topic.name).inserted else { throw refuse("topic '\(topic.name)' is listed twice") }
            guard topic.file.path == Backup.topicFile(topic.name) else {
                throw refuse(
                    "topic '\(topic.name)' must be in '\(Backup.topicFile(topic.name))', not '\(topic.file.path)'")
            }
            for (index, partition) in topic.partitions.enumerated() {
                guard partition.partition == Int32(index), partition.logStartOffset >= 0,
                    partition.logStartOffset <= partition.nextOffset, partition.records >= 0,
                    partition.records <= partition.nextOffset - partition.logStartOffset
                else { throw refuse("topic '\(topic.name)' partition \(partition.partition) is inconsistent") }
            }
        }
        for file in files where file.bytes < 0 || file.sha256.utf8.count != 64 {
            throw refuse("'\(file.path)' has no valid size and SHA-256")
        }
    }
}

import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore
import SluiceProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sluice backup DIR`: the server writes a consistent backup while it goes on serving.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent backup of every topic and the catalog while the server runs.",
        discussion: """
            The server writes the backup into DIR on its own host, as its own user: DIR is created (its parent \
            must exist) or must be empty; files get mode 0600, folders 0700, and manifest.json (topics, \
            partitions, offsets, sizes, SHA-256 of every file) is written last, so a folder without it is a backup \
            that did not finish. Producers and consumers are served meanwhile. Restore with `sluice restore DIR \
            --data-dir NEW`. Under an access policy it needs admin on every topic.
            """
    )

    @Argument(help: ArgumentHelp("Folder to write the backup into (created, or empty).", valueName: "dir"))
    var directory: String

    @OptionGroup var location: Location

    @Flag(name: .long, help: "Print what the backup holds as one JSON object.")
    var json = false

    func run() async throws {
        let target = Self.absolute(directory)
        try await reportingErrors("backup") { () async throws(SluiceError) in
            let started = ContinuousClock.now
            let backup = try await withClient(location) { client async throws(SluiceError) in
                try await client.backup(to: target)
            }
            let seconds =
                Double(started.duration(to: .now).components.attoseconds) / 1e18
                + Double(started.duration(to: .now).components.seconds)
            let records = backup.topics.reduce(0) { $0 + $1.records }
            let bytes = backup.topics.reduce(backup.catalogBytes) { $0 + $1.bytes }
            if json {
                Output.line(
                    JSON.object([
                        ("directory", .string(target)), ("created_ms", .int(backup.createdMs)),
                        ("catalog_bytes", .int(backup.catalogBytes)), ("records", .int(records)),
                        ("bytes", .int(bytes)),
                        (
                            "topics",
                            .array(
                                backup.topics.map { topic in
                                    .object([
                                        ("name", .string(topic.name)), ("partitions", .int(Int64(topic.partitions))),
                                        ("records", .int(topic.records)), ("bytes", .int(topic.bytes)),
                                    ])
                                })
                        ),
                    ]).text)
                return
            }
            for topic in backup.topics {
                Output.line(
                    "\(topic.name): \(topic.partitions) partition\(topic.partitions == 1 ? "" : "s"), "
                        + "\(topic.records) records, \(topic.bytes) bytes")
            }
            Output.line(
                "backup written to \(target): \(backup.topics.count) topic\(backup.topics.count == 1 ? "" : "s"), "
                    + "\(records) records, \(bytes) bytes in \(String(format1: seconds)) s")
        }
    }

    /// `path` made absolute against this process's working directory: the server resolves nothing for us.
    static func absolute(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return cwd == "/" ? "/\(relative)" : "\(cwd)/\(relative)"
    }
}

extension String {
    /// A number with one decimal: `2.5`.
    init(format1 value: Double) {
        let tenths = Int64((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}

import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Backup {
    /// The largest manifest read: a backup of tens of thousands of topics stays far below it.
    static let maxManifestBytes = 64 << 20

    /// Builds a new data directory at `dataDirectory` from the backup in `source`. Needs no server.
    ///
    /// Refuses, before writing anything, a backup without a manifest (incomplete, or not a backup), a manifest that
    /// does not parse or names files outside the backup, a missing file, and a file whose size or SHA-256 differs
    /// from the manifest's (damaged): `.invalidArgument` or `.corruptDatabase`, saying which file. `dataDirectory`
    /// must not exist (its parent must) or be empty. The files are copied (modes 0600 and 0700), checked again as
    /// they are copied, synced, and the new directory's catalog and topics are checked against the manifest; if
    /// anything fails, what was written is removed.
    package static func restore(from source: String, into dataDirectory: String) throws(SluiceError) -> BackupManifest {
        let source = source.count > 1 && source.hasSuffix("/") ? String(source.dropLast()) : source
        guard BackupFolder.isDirectory(source) else {
            throw SluiceError(.invalidArgument, "\(source) is not a folder holding a backup")
        }
        let manifestPath = "\(source)/\(BackupManifest.fileName)"
        guard FileSystem.exists(manifestPath) else {
            throw SluiceError(
                .invalidArgument,
                "\(manifestPath) is missing: \(source) is not a Sluice backup, or one that did not finish")
        }
        let manifest = try BackupManifest.parse(try readFile(manifestPath), source: manifestPath)
        for file in manifest.files {
            let path = "\(source)/\(file.path)"
            guard FileSystem.exists(path) else {
                throw SluiceError(.invalidArgument, "the backup is incomplete: \(path) is missing")
            }
            try check(file, path: path, found: try BackupFolder.checksum(path))
        }
        let folder = try BackupFolder(creating: dataDirectory)
        do throws(SluiceError) {
            for file in manifest.files {
                try check(
                    file, path: "\(source)/\(file.path)",
                    found: try folder.copyFile(from: "\(source)/\(file.path)", to: file.path))
            }
            folder.syncFolders()
            try verify(manifest, in: DataDirectory(path: folder.path))
        } catch {
            folder.removeEverything()
            throw error
        }
        return manifest
    }

    private static func check(_ file: BackupManifest.File, path: String, found: (Int64, String)) throws(SluiceError) {
        guard found.0 == file.bytes, found.1 == file.sha256 else {
            throw SluiceError(
                .corruptDatabase,
                """
                the backup is damaged: \(path) has \(found.0) bytes and SHA-256 \(found.1); the manifest says \
                \(file.bytes) bytes and \(file.sha256)
                """)
        }
    }

    /// Checks a restored data directory against its manifest: the catalog lists exactly its topics with their
    /// partition counts, and each topic database holds the partitions' offsets the manifest recorded.
    static func verify(_ manifest: BackupManifest, in directory: DataDirectory) throws(SluiceError) {
        do {
            let catalog = try Connection(path: directory.catalogPath, flags: [.readOnly])
            var listed: [String: Int32] = [:]
            let select = try catalog.statement(selectLiveTopics)
            while try select.step() { listed[select.text(0) ?? ""] = Int32(select.int64(1)) }
            select.reset()
            let expected = Dictionary(
                uniqueKeysWithValues: manifest.topics.map { ($0.name, Int32($0.partitions.count)) })
            guard listed == expected else {
                throw SluiceError(
                    .corruptDatabase,
                    "the backup's catalog lists topics \(listed.sorted { $0.key < $1.key }), "
                        + "its manifest \(expected.sorted { $0.key < $1.key })")
            }
            for topic in manifest.topics {
                let database = try Connection(path: directory.topicPath(topic.name), flags: [.readOnly])
                let state = try database.statement(selectPartitionState)
                state.bind(1, Int64(topic.partitions.count))
                var found: [BackupManifest.Partition] = []
                while try state.step() {
                    found.append(
                        BackupManifest.Partition(
                            partition: Int32(state.int64(0)), logStartOffset: state.int64(1),
                            nextOffset: state.int64(2), records: 0))
                }
                state.reset()
                let recorded = topic.partitions.map {
                    BackupManifest.Partition(
                        partition: $0.partition, logStartOffset: $0.logStartOffset, nextOffset: $0.nextOffset,
                        records: 0)
                }
                guard found == recorded else {
                    throw SluiceError(
                        .corruptDatabase, "topic '\(topic.name)' does not hold the offsets its manifest lists")
                }
            }
        } catch {
            throw SluiceError(
                error.sluiceError.code, "the restored data does not match the backup: \(error.sluiceError.message)")
        }
    }

    private static func readFile(_ path: String) throws(SluiceError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SluiceError(.invalidArgument, "cannot read \(path): \(FileSystem.errorText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw SluiceError(.invalidArgument, "cannot read \(path): \(FileSystem.errorText())")
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= maxManifestBytes else {
                throw SluiceError(
                    .invalidArgument, "\(path) is larger than \(maxManifestBytes) bytes: not a backup manifest")
            }
        }
    }
}

import SluiceCore
import SluiceCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The folder a backup is written into, or a data directory a restore fills: files and folders this process
/// created there, with modes 0600 and 0700, removed again when the work fails.
struct BackupFolder {
    let path: String
    /// Whether the folder itself was made here (so it goes too when the work fails).
    private let madeFolder: Bool

    static let fileMode: mode_t = 0o600
    static let folderMode: mode_t = 0o700

    /// Makes `path` and its `topics` folder. An existing folder is taken only when it is empty.
    init(creating path: String) throws(SluiceError) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if mkdir(self.path, Self.folderMode) == 0 {
            madeFolder = true
        } else if errno == EEXIST, Self.isDirectory(self.path) {
            guard FileSystem.contents(of: self.path).isEmpty else {
                throw SluiceError(.invalidArgument, "\(self.path) is not empty")
            }
            madeFolder = false
        } else {
            throw SluiceError(.invalidArgument, "cannot create \(self.path): \(FileSystem.errorText())")
        }
        if mkdir("\(self.path)/\(Backup.topicsFolder)", Self.folderMode) != 0 {
            let error = SluiceError(
                .storageError, "cannot create \(self.path)/\(Backup.topicsFolder): \(FileSystem.errorText())")
            removeEverything()
            throw error
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    func absolute(_ relative: String) -> String { "\(path)/\(relative)" }

    /// Creates an empty file of mode 0600 at `relative`, failing if one exists.
    func createFile(_ relative: String) throws(SluiceError) -> Int32 {
        let fd = open(absolute(relative), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, Self.fileMode)
        guard fd >= 0 else {
            throw SluiceError(.storageError, "cannot create \(absolute(relative)): \(FileSystem.errorText())")
        }
        return fd
    }

    /// Copies the database `source` reads (its open snapshot) into a new file at `relative`, `pacing.pagesPerStep`
    /// pages at a time; after each step the new pages' writeback is started (and every `stepsPerSync` steps waited
    /// for) and the copy pauses, so that it never leaves the disk a large backlog for the writers' fsyncs to wait
    /// behind. Returns the file's path.
    func copy(_ source: Connection, to relative: String, pacing: Backup.Pacing, isCancelled: () -> Bool)
        throws(SluiceError) -> String
    {
        let target = absolute(relative)
        // Made here first, so SQLite opens a file of mode 0600 (its journal takes the same mode).
        let fd = try createFile(relative)
        defer { close(fd) }
        do {
            let destination = try Connection(path: target, flags: [.readWrite])
            // The copy is synced here and, if it fails, deleted: it needs no journal and no sync of its own.
            try destination.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -2048")
            let copy = try DatabaseCopy(from: source, to: destination)
            var steps = 0
            var flushed: Int64 = 0
            var started = ContinuousClock.now
            while try !copy.step(pages: pacing.pagesPerStep) {
                if isCancelled() {
                    throw SluiceError(.shuttingDown, "the backup was cancelled: the server is stopping")
                }
                steps += 1
                flushed = Self.startWriteback(fd, from: flushed)
                if pacing.stepsPerSync > 0 && steps % pacing.stepsPerSync == 0 { _ = fdatasync(fd) }
                pacing.rest(after: started)
                started = .now
            }
            copy.finish()
        } catch {
            throw SluiceError(
                error.sluiceError.code, "cannot copy \(source.path) to \(target): \(error.sluiceError.message)")
        }
        if fsync(fd) != 0 { throw SluiceError(.storageError, "cannot sync \(target): \(FileSystem.errorText())") }
        return target
    }

    /// Starts writing out, without waiting, what the copy appended past `offset` (pages of a new database are
    /// copied in order, so that is what it wrote), and drops those pages from the page cache once written, so that a
    /// backup neither leaves a backlog of dirty pages for the writers' fsyncs to queue behind nor crowds the
    /// server's own pages out of memory (Linux starts writeback for `POSIX_FADV_DONTNEED`). Returns the new offset.
    private static func startWriteback(_ fd: Int32, from offset: Int64) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0, Int64(info.st_size) > offset else { return offset }
        #if os(Linux)
            _ = posix_fadvise(fd, off_t(offset), off_t(Int64(info.st_size) - offset), POSIX_FADV_DONTNEED)
        #endif
        return Int64(info.st_size)
    }

    /// The size and SHA-256 of a file in the folder, read back from it.
    func describe(_ relative: String, pacing: Backup.Pacing) throws(SluiceError) -> BackupManifest.File {
        let (bytes, sha256) = try Self.checksum(absolute(relative), pacing: pacing)
        return BackupManifest.File(path: relative, bytes: bytes, sha256: sha256)
    }

    /// The size and SHA-256 of the file at `path`; copies it to `copyTo` (a new file descriptor) on the way.
    /// With `pacing`, rests between chunks as a backup's copy does.
    static func checksum(_ path: String, copyTo output: Int32? = nil, pacing: Backup.Pacing? = nil)
        throws(SluiceError) -> (Int64, String)
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SluiceError(.invalidArgument, "cannot read \(path): \(FileSystem.errorText())") }
        defer { close(fd) }
        var hash = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let started = ContinuousClock.now
            defer { pacing?.rest(after: started) }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SluiceError(.storageError, "cannot read \(path): \(FileSystem.errorText())")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if let output { try writeAll(output, buffer, count: count, path: path) }
            total += Int64(count)
        }
        return (total, hash.finishHex())
    }

    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], count: Int, path: String) throws(SluiceError) {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SluiceError(
                    errno == ENOSPC ? .diskFull : .storageError,
                    "cannot write the copy of \(path): \(FileSystem.errorText())")
            }
            offset += written
        }
    }

    /// Writes `bytes` to `relative` through a temporary file, synced and renamed into place, then syncs the folders.
    func writeAtomically(_ relative: String, _ bytes: [UInt8]) throws(SluiceError) {
        let temporary = relative + ".tmp"
        let fd = try createFile(temporary)
        do throws(SluiceError) {
            try Self.writeAll(fd, bytes, count: bytes.count, path: absolute(temporary))
            if fsync(fd) != 0 {
                throw SluiceError(.storageError, "cannot sync \(absolute(temporary)): \(FileSystem.errorText())")
            }
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        syncFolders()
        if rename(absolute(temporary), absolute(relative)) != 0 {
            throw SluiceError(.storageError, "cannot rename \(absolute(temporary)): \(FileSystem.errorText())")
        }
        syncFolders()
    }

    /// Copies a file from elsewhere into `relative`, synced; returns its size and SHA-256 as read.
    func copyFile(from source: String, to relative: String) throws(SluiceError) -> (Int64, String) {
        let fd = try createFile(relative)
        defer { close(fd) }
        let result = try Self.checksum(source, copyTo: fd)
        if fsync(fd) != 0 {
            throw SluiceError(.storageError, "cannot sync \(absolute(relative)): \(FileSystem.errorText())")
        }
        return result
    }

    func syncFolders() {
        FileSystem.syncDirectory(absolute(Backup.topicsFolder))
        FileSystem.syncDirectory(path)
    }

    /// Removes every file and folder this work made (and the folder itself when it made it).
    func removeEverything() {
        let topics = absolute(Backup.topicsFolder)
        for name in FileSystem.contents(of: topics) { unlink("\(topics)/\(name)") }
        rmdir(topics)
        for name in FileSystem.contents(of: path) { unlink(absolute(name)) }
        if madeFolder { rmdir(path) }
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

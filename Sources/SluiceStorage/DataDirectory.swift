import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The layout of a data directory: `catalog.db`, `topics/NAME.db`, and a lock file that keeps a second process out.
package struct DataDirectory: Sendable {
    package let path: String

    package init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    package var catalogPath: String { "\(path)/catalog.db" }
    package var topicsPath: String { "\(path)/topics" }
    package var lockPath: String { "\(path)/LOCK" }

    package func topicPath(_ topic: String) -> String { "\(topicsPath)/\(Self.fileStem(topic)).db" }

    /// The longest file-name stem that leaves room for `.db-journal` within the usual 255-byte name limit.
    static let maxStemLength = 255 - ".db-journal".utf8.count

    /// The topic's name, or for a name too long to be a file name with SQLite's suffixes (legal topic names run to
    /// 249 characters), its first characters, `~` (never in a topic name) and a hash of the whole name.
    static func fileStem(_ topic: String) -> String {
        guard topic.utf8.count > maxStemLength else { return topic }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs and platforms, unlike `Hasher`.
        for byte in topic.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        let suffix = "~" + String(repeating: "0", count: 16 - hex.count) + hex
        return String(decoding: topic.utf8.prefix(maxStemLength - suffix.utf8.count), as: UTF8.self) + suffix
    }

    /// The topic database and its WAL and shared-memory files.
    package func topicFiles(_ topic: String) -> [String] {
        let db = topicPath(topic)
        return [db, db + "-wal", db + "-shm"]
    }

    /// The suffix of a deletion marker: `NAME.db-deleted` beside `NAME.db` (as long as SQLite's `-journal` name, so
    /// it fits where those fit). No topic file ends so: topic files end in `.db`, `-wal`, `-shm` or `-journal`.
    static let tombstoneSuffix = ".db-deleted"

    /// The empty file that records a decided deletion of `topic` on disk (see `Store.deleteTopic`).
    package func tombstonePath(_ topic: String) -> String {
        "\(topicsPath)/\(Self.fileStem(topic))\(Self.tombstoneSuffix)"
    }

    /// Creates the directory and its `topics` folder when missing, and keeps them the server's own: the folders
    /// 0700 and every file in them 0600, tightened where an older version or a hand left them open to others. The
    /// socket (`socket_mode`, ideally in a folder of its own) is the only way in for anyone else.
    package func create() throws(SluiceError) {
        for dir in [path, topicsPath] {
            if mkdir(dir, 0o700) != 0 && errno != EEXIST {
                throw SluiceError(.storageError, "cannot create directory \(dir): \(FileSystem.errorText())")
            }
            try FileSystem.restrictToOwner(dir, mode: 0o700)
            for name in FileSystem.contents(of: dir) {
                try FileSystem.restrictToOwner("\(dir)/\(name)", mode: 0o600, regularFilesOnly: true)
            }
        }
    }
}

/// The few file operations storage needs, straight from libc.
package enum FileSystem {
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The file's size in bytes, or 0 when it does not exist.
    package static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Removes a file; a missing file is not an error.
    package static func remove(_ path: String) throws(SluiceError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw SluiceError(.storageError, "cannot remove \(path): \(errorText())")
        }
    }

    /// Cuts a file to length 0, freeing its blocks even while some process still has it open (an unlinked file's
    /// blocks are freed only at its last close); a missing file is not an error.
    package static func truncate(_ path: String) throws(SluiceError) {
        if truncateFile(path) != 0 && errno != ENOENT {
            throw SluiceError(.storageError, "cannot truncate \(path): \(errorText())")
        }
    }

    /// Creates an empty file readable by its owner only (or leaves an existing one as it is). Needs an inode and a
    /// directory entry, no data. SQLite gives a database's `-wal` and `-shm` files the database file's mode, so a
    /// database created empty this way keeps all three 0600.
    package static func createEmpty(_ path: String) throws(SluiceError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SluiceError(.storageError, "cannot create \(path): \(errorText())") }
        close(fd)
    }

    /// Clears the group and other permission bits of `path` (to at most `mode`) when any is set; a missing file, or
    /// with `regularFilesOnly` anything but a regular file (the socket), is left alone.
    package static func restrictToOwner(_ path: String, mode: mode_t, regularFilesOnly: Bool = false)
        throws(SluiceError)
    {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if regularFilesOnly && (info.st_mode & S_IFMT) != S_IFREG { return }
        guard info.st_mode & 0o077 != 0 else { return }
        if chmod(path, info.st_mode & mode & 0o777) != 0 {
            throw SluiceError(.storageError, "cannot restrict the permissions of \(path): \(errorText())")
        }
    }

    /// The names in a directory (without `.` and `..`); empty when it cannot be read.
    package static func contents(of path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Flushes a directory's entries (after creating or removing files in it).
    package static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// libc's `truncate`, which `FileSystem.truncate` hides inside the enum.
private func truncateFile(_ path: String) -> Int32 { truncate(path, 0) }

/// An exclusive advisory lock on the data directory, held for as long as this value lives.
package final class DirectoryLock: Sendable {
    private let fd: Int32

    /// Throws `.storageError` naming the directory when another process holds it.
    package init(path: String) throws(SluiceError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw SluiceError(.storageError, "cannot open lock file \(path): \(FileSystem.errorText())")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw SluiceError(
                .storageError, "data directory is in use by another sluice process (lock \(path) is held)")
        }
        self.fd = fd
    }

    deinit { close(fd) }
}

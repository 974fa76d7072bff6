import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Space set aside in the data directory so that retention can run on a full disk.
///
/// Deleting expired records is how the disk gets space back, yet SQLite needs a little space to do it: the delete
/// writes its changed pages to the WAL, which the last sweep truncated. So the data directory keeps a file of
/// `bytes` allocated (`DATA_DIR/reserve`); when a sweep fails for lack of space, `release()` removes it and the sweep
/// runs again in the room it leaves, and once a sweep has given space back, `restore()` sets the reserve aside again.
/// Producers on other topics may take the released room first; they then get `disk_full` again a moment later, and
/// the next sweep retries.
package final class DiskReserve: Sendable {
    package let path: String
    package let bytes: Int
    private let held = Mutex(false)

    /// Sets the reserve aside at once when the disk has room for it.
    package init(path: String, bytes: Int = Int(TopicWriter.journalSizeLimit)) {
        self.path = path
        self.bytes = bytes
        restore()
    }

    /// Whether the reserve is set aside now.
    package var isHeld: Bool { held.withLock { $0 } }

    /// Allocates the reserve if it is not held; returns whether it is held afterwards.
    @discardableResult
    package func restore() -> Bool {
        held.withLock { held in
            if held { return true }
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            #if canImport(Glibc)
                let allocated = posix_fallocate(fd, 0, off_t(bytes)) == 0
            #else
                let allocated = ftruncate(fd, off_t(bytes)) == 0
            #endif
            if allocated && fsync(fd) == 0 {
                held = true
            } else {
                unlink(path)
            }
            return held
        }
    }

    /// Frees the reserve's space; returns false when there was none to free.
    @discardableResult
    package func release() -> Bool {
        held.withLock { held in
            guard held else { return false }
            held = false
            return unlink(path) == 0
        }
    }
}

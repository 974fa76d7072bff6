import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Claims a Unix socket path for a new server: replaces a stale socket file, refuses one a live server holds.
enum UnixSocketPath {
    /// Longest path `sockaddr_un` holds, less the terminating zero.
    static let maxLength = 107

    static func prepare(_ path: String) throws(SluiceError) {
        if path.utf8.count > maxLength {
            throw SluiceError(
                .invalidArgument, "socket path is \(path.utf8.count) bytes; Unix sockets allow \(maxLength): \(path)")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SluiceError(.invalidArgument, "\(path) exists and is not a socket; refusing to replace it")
        }
        if isListening(path) {
            throw SluiceError(.invalidArgument, "another server is listening on \(path)")
        }
        // Nobody answers: a socket file left behind by a server that died. Replace it.
        if unlink(path) != 0 && errno != ENOENT {
            throw SluiceError(
                .invalidArgument, "cannot remove stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// True when a process accepts connections on the socket at `path`.
    static func isListening(_ path: String) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(maxLength))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    static func setMode(_ path: String, _ mode: UInt32) throws(SluiceError) {
        if chmod(path, mode_t(mode)) != 0 {
            throw SluiceError(
                .invalidArgument,
                "cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Gives the socket file to `uid` and `gid` (nil leaves either as it is).
    static func setOwner(_ path: String, uid: UInt32?, gid: UInt32?) throws(SluiceError) {
        let keep = UInt32.max  // (uid_t)-1: unchanged
        if chown(path, uid_t(uid ?? keep), gid_t(gid ?? keep)) != 0 {
            throw SluiceError(
                .invalidArgument,
                "cannot give \(path) to uid \(uid.map(String.init) ?? "-") gid "
                    + "\(gid.map(String.init) ?? "-"): \(String(cString: strerror(errno)))")
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes bytes that need not be UTF-8 (message keys and values) to a file descriptor at once, with no buffering
/// in between, like `Output` does for text.
///
/// SwiftNIO ignores SIGPIPE process-wide, so a reader that went away (`sluice consume | head`) shows up here as
/// `.closed` rather than ending the process.
enum RawOutput {
    enum Failure: Error {
        /// The reading end of the pipe is closed (EPIPE).
        case closed
        /// Another write error, with its `strerror` text.
        case failed(String)
    }

    static func write(_ bytes: [UInt8], to fd: Int32 = 1) throws(Failure) {
        let error: Int32? = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                    let written = Glibc.write(fd, base + offset, raw.count - offset)
                #else
                    let written = Darwin.write(fd, base + offset, raw.count - offset)
                #endif
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        guard let error else { return }
        if error == EPIPE { throw .closed }
        throw .failed(String(cString: strerror(error)))
    }
}

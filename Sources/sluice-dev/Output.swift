#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered output: every line goes straight to its file descriptor with write(2), so a reader on a pipe or a
/// file sees it at once (and a SIGKILL loses nothing already reported). `print` would be block-buffered on a pipe.
enum Output {
    /// Writes `text` and a newline to stdout.
    static func line(_ text: String) {
        emit(text + "\n", to: STDOUT_FILENO)
    }

    static func error(_ text: String) {
        emit(text + "\n", to: STDERR_FILENO)
    }

    /// Reports `message` on stderr and exits with `status`.
    static func fail(_ message: String, status: Int32 = 1) -> Never {
        error(message)
        exit(status)
    }

    private static func emit(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    exit(1)  // The reader is gone (a closed pipe): nobody is listening any more.
                }
                offset += n
            }
        }
    }
}

/// Milliseconds since the Unix epoch, for stamping records.
func wallClockMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

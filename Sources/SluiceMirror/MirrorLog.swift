#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Progress and warnings on stderr, one whole line per write so that lines from threads never interleave.
package enum MirrorLog {
    package static func line(_ text: String) {
        let bytes = Array("sluice-mirror: \(text)\n".utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(2, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

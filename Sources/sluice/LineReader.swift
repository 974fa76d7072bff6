import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads lines from a file descriptor through a 64 KiB buffer: one `read` per buffer, not per byte.
///
/// A line is returned without its `\n`; a last line with no `\n` is returned too; an empty line is an empty array.
struct LineReader {
    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// The beginning of a line that continues past the buffered bytes.
    private var partial: [UInt8] = []

    init(fd: Int32 = 0, bufferSize: Int = 1 << 16) {
        self.fd = fd
        self.buffer = Array(repeating: 0, count: bufferSize)
    }

    /// The next line, or `nil` at the end of input. Throws if reading fails.
    mutating func next() throws(SluiceError) -> [UInt8]? {
        while true {
            if start < end {
                let newline: Int? = buffer.withUnsafeBufferPointer { pointer in
                    guard let base = pointer.baseAddress,
                        let found = memchr(base + start, Int32(UInt8(ascii: "\n")), end - start)
                    else { return nil }
                    return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                }
                if let newline {
                    var line = partial
                    partial = []
                    line.append(contentsOf: buffer[start..<newline])
                    start = newline + 1
                    return line
                }
                partial.append(contentsOf: buffer[start..<end])
                start = end
            }
            if atEOF {
                guard !partial.isEmpty else { return nil }
                defer { partial = [] }
                return partial
            }
            try fill()
        }
    }

    private mutating func fill() throws(SluiceError) {
        start = 0
        end = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                end = count
                return
            }
            if count == 0 {
                atEOF = true
                return
            }
            if errno == EINTR { continue }
            throw SluiceError(.unknown, "cannot read standard input: \(String(cString: strerror(errno)))")
        }
    }
}

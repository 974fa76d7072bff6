#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time used by the bench itself and, when its process id is known, by the server: the two sides of the
/// socket, to tell which one limits a run.
struct BenchCPU {
    var client: Double
    var server: Double?

    /// The CPU time so far of this process and of process `serverPID`.
    static func now(serverPID: Int32?) -> BenchCPU {
        BenchCPU(client: selfSeconds(), server: serverPID.flatMap(processSeconds))
    }

    /// The CPU time used between `start` and `self`.
    func since(_ start: BenchCPU) -> BenchCPU {
        var server: Double?
        if let end = self.server, let begin = start.server { server = end - begin }
        return BenchCPU(client: client - start.client, server: server)
    }

    /// User and system time of this process, in seconds.
    static func selfSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// User and system time of process `pid` from `/proc/PID/stat`, in seconds; `nil` where there is no such file.
    static func processSeconds(_ pid: Int32) -> Double? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3, utime 14 and stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ticks > 0 ? (user + system) / ticks : nil
    }

    /// The text of a small file (up to 64 KiB), or `nil` if it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 65_536)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            count += n
        }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
}

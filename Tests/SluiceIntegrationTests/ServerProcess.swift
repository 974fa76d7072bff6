import Foundation
import SluiceCore

/// A real `sluice serve` process on a real socket in a temporary directory, for end-to-end tests.
///
/// The binary is the one `swift build` put next to the test bundle. `stop()` sends SIGTERM; `kill()` sends SIGKILL.
final class ServerProcess: @unchecked Sendable {
    let dataDirectory: String
    let socketPath: String
    private(set) var process: Process?
    private var stdoutPipe: Pipe?
    let stderrPath: String
    /// `HOST:PORT` of the Kafka listener, when the server was started with `--kafka-listen` (it prints
    /// `kafka listening on HOST:PORT` before its ready line).
    private(set) var kafkaAddress = ""
    /// Where the HTTP API listens (its socket's path, and `HOST:PORT` with `--http-listen`), as the server prints
    /// `http listening on …` before its ready line.
    private(set) var httpAddresses: [String] = []

    /// A fresh temporary data directory (removed by `cleanUp()`), or `reusing` an existing one.
    init(reusing dataDirectory: String? = nil) throws {
        if let dataDirectory {
            self.dataDirectory = dataDirectory
        } else {
            let base = FileManager.default.temporaryDirectory.path
            self.dataDirectory = "\(base)/sluice-test-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true)
        }
        // Beside the data directory, not in it: the data directory is the server's own (0700), so a client running
        // as another user (ServiceTests) reaches only a socket outside it.
        socketPath = "\(self.dataDirectory).sock"
        stderrPath = "\(self.dataDirectory)/server.log"
    }

    static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // On Linux the test bundle is an executable in the products folder; on Darwin it is a bundle inside it.
        if dir.path.hasSuffix(".xctest/Contents/MacOS") {
            dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        return dir.appendingPathComponent("sluice").path
    }

    static var devBinary: String {
        URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("sluice-dev").path
    }

    /// Starts the server and waits until it prints `listening on PATH`. With `descriptorLimit`, the server runs
    /// with that soft and hard limit on open files (through `sh -c 'ulimit -n N; exec …'`, which execs, so `pid`
    /// and signals are still the server's).
    @discardableResult
    func start(extraArguments: [String] = [], descriptorLimit: Int? = nil) throws -> ServerProcess {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw SluiceError(.unknown, "\(Self.binary) not found: run `swift build` before `swift test`")
        }
        let process = Process()
        let arguments = ["serve", "--data-dir", dataDirectory, "--socket", socketPath] + extraArguments
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", Self.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = arguments
        }
        let out = Pipe()
        process.standardOutput = out
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        self.process = process
        self.stdoutPipe = out
        // Wait for the ready line.
        var seen = Data()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            let text = String(decoding: seen, as: UTF8.self)
            if text.contains("listening on \(socketPath)") {
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("kafka listening on ") }) {
                    kafkaAddress = String(line.dropFirst("kafka listening on ".count))
                }
                httpAddresses = text.split(separator: "\n").filter { $0.hasPrefix("http listening on ") }.map {
                    String($0.dropFirst("http listening on ".count))
                }
                return self
            }
        }
        process.terminate()
        throw SluiceError(.unknown, "server did not start: \(String(decoding: seen, as: UTF8.self)) \(log)")
    }

    var pid: Int32 { process?.processIdentifier ?? -1 }

    var log: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// SIGTERM and wait (SIGKILL after 15 s, so a hung shutdown fails the test instead of hanging the run);
    /// returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let process, process.isRunning else { return process?.terminationStatus ?? 0 }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    /// SIGKILL and wait.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func cleanUp() {
        kill()
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try? FileManager.default.removeItem(atPath: socketPath)
    }

    /// Descriptors the process has open now (entries of /proc/PID/fd).
    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// User plus system CPU time the process has used, in clock ticks (from /proc/PID/stat).
    func cpuTicks() -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime field 14 and stime field 15 (1-based, whole line).
        guard fields.count > 13, let utime = Int(fields[11]), let stime = Int(fields[12]) else { return -1 }
        return utime + stime
    }
}

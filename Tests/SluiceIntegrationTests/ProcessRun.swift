import Foundation

/// Runs a child process to completion without holding a thread of the test runner's cooperative pool.
///
/// Suites run side by side on as many threads as the machine has cores (two here): a test that blocks one of them
/// for a minute, waiting for a child, starves every other test's tasks, and their session timeouts expire. So the
/// waiting here is done by Dispatch (the pipes are drained on its threads, the exit reported by a termination
/// handler) and the test only awaits.
enum ProcessRun {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The JSON object on the last line of standard output.
        var json: [String: Any] {
            let last = stdout.split(separator: "\n").last.map(String.init) ?? "{}"
            return (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
        }
    }

    private final class Collected: @unchecked Sendable {
        var out = Data()
        var err = Data()
    }

    /// Runs `arguments` (the first found on PATH, or a path) with `input` on standard input; terminates it after
    /// `timeout` seconds.
    static func run(
        _ arguments: [String], input: String? = nil, environment: [String: String]? = nil,
        timeout: TimeInterval = 120
    ) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        let collected = Collected()
        let done = DispatchGroup()
        done.enter()
        process.terminationHandler = { _ in done.leave() }
        do {
            try process.run()
        } catch {
            return Outcome(status: -1, stdout: "", stderr: "\(error)")
        }
        done.enter()
        DispatchQueue.global().async {
            collected.out = out.fileHandleForReading.readDataToEndOfFile()
            done.leave()
        }
        done.enter()
        DispatchQueue.global().async {
            collected.err = err.fileHandleForReading.readDataToEndOfFile()
            done.leave()
        }
        let writer = stdin.fileHandleForWriting
        DispatchQueue.global().async {
            if let input { writer.write(Data(input.utf8)) }
            try? writer.close()
        }
        let deadline = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            done.notify(queue: .global()) { continuation.resume() }
        }
        deadline.cancel()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: collected.out, as: UTF8.self),
            stderr: String(decoding: collected.err, as: UTF8.self))
    }
}

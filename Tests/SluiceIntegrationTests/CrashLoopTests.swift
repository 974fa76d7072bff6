import Foundation
import Testing

/// The short form of `Scripts/crash-loop`: producers and a consumer group run while the server is SIGKILLed at random
/// moments three times; the script checks that every acknowledged message is stored once and in order, that
/// committed offsets never went backwards and that every database passes its integrity check.
@Suite(.serialized) struct CrashLoopTests {
    @Test func threeRandomKillsLoseNothingAcknowledged() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/crash-loop").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script]
        var environment = ProcessInfo.processInfo.environment
        environment["QUICK"] = "1"
        environment["SLUICE"] = ServerProcess.binary
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("crash-loop-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(240)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        #expect(process.terminationStatus == 0, "crash loop failed:\n\(output.suffix(4000))")
    }
}

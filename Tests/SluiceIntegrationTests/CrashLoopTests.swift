import Foundation
import Testing

/// The short form of `Scripts/crash-loop`: producers and a consumer group run while the server is SIGKILLed at random
/// moments three times; the script checks that every acknowledged message is stored once and in order, that
/// committed offsets never went backwards and that every database passes its integrity check.
@Suite(.serialized) struct CrashLoopTests {
    @Test func threeRandomKillsLoseNothingAcknowledged() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/crash-loop").path
        var environment = ProcessInfo.processInfo.environment
        environment["QUICK"] = "1"
        environment["SLUICE"] = ServerProcess.binary
        let outcome = await ProcessRun.run(["bash", script], environment: environment, timeout: 240)
        #expect(outcome.status == 0, "crash loop failed:\n\((outcome.stdout + outcome.stderr).suffix(4000))")
    }
}

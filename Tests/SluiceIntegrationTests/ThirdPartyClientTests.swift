import Foundation
import Testing

/// The Python client written from `docs/PROTOCOL.md` alone (`Tests/ThirdPartyClient/sluice_client.py`) against the
/// real server: if the document stops being enough to write a client from, or the server stops doing what it says,
/// these fail.
///
/// The driver, `third_party_test.py`, asserts what each scenario checks and exits non-zero with a message on the first
/// failure; a failing test shows its output. Python 3 (standard library only) is all it needs.
struct ThirdPartyClientTests {
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ThirdPartyClient/third_party_test.py").path

    /// Starts a server (with `serveArguments`), runs one scenario of the driver against it and expects it to pass.
    func scenario(
        _ name: String, serveArguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let server = try ServerProcess().start(extraArguments: serveArguments)
        defer { server.cleanUp() }
        let outcome = await ProcessRun.run(
            ["python3", Self.driver, name, server.socketPath, ServerProcess.binary], timeout: 240)
        let report =
            "third-party client scenario \(name) failed (\(outcome.status)):\n\(outcome.stdout.suffix(2000))\n"
            + "\(outcome.stderr.suffix(4000))\nserver log:\n\(server.log.suffix(2000))"
        #expect(outcome.status == 0, "\(report)", sourceLocation: sourceLocation)
    }

    /// No server: the client encodes the example requests of `docs/PROTOCOL.md` §7 and decodes its example
    /// responses, byte for byte, read from the document itself.
    @Test func theDocumentsExamplesMatchTheClientByteForByte() async throws {
        let outcome = await ProcessRun.run(["python3", Self.driver, "examples", "-"], timeout: 60)
        #expect(outcome.status == 0, "\(outcome.stderr.suffix(4000))")
    }

    @Test func apiVersionsAdminProduceFetchAndOffsets() async throws {
        try await scenario("protocol")
    }

    @Test func pipelinedRequestsAreAnsweredOutOfOrderByCorrelationId() async throws {
        try await scenario("pipelining")
    }

    @Test func errorsAtEveryLevel() async throws {
        try await scenario("errors")
    }

    @Test func accessPolicyRefusalIsNotAuthorized() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-access-\(UUID().uuidString.prefix(8)).json")
        // Everyone may consume and administer every topic, and produce only to topics `open*`.
        let policy = """
            {"access": [{"users": ["*"], "operations": ["consume", "admin"]},
                        {"users": ["*"], "operations": ["produce"], "topics": ["open*"]}]}
            """
        try Data(policy.utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        try await scenario("not-authorized", serveArguments: ["--config", config.path])
    }

    @Test func consumerGroupsWithHeldHeartbeats() async throws {
        try await scenario("groups")
    }

    @Test func keyedRecordsLandInTheSamePartitionsAsTheCommandLineProducersAndBackAgain() async throws {
        try await scenario("interop")
    }

    @Test func aPythonMemberAndACommandLineMemberShareAGroupWithoutOverlap() async throws {
        try await scenario("group-interop")
    }
}

import Foundation

/// Builds a Go test client from one source file against the Go packages Debian installs under
/// `/usr/share/gocode` (GOPATH mode, `GO111MODULE=off`: no network, no module proxy), into a temporary directory.
enum GoProgram {
    static let gopath = "/usr/share/gocode"

    /// Whether `go` runs and every package in `imports` is installed.
    static func available(_ imports: [String]) -> Bool {
        let go = Process()
        go.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        go.arguments = ["go", "version"]
        go.standardOutput = FileHandle.nullDevice
        go.standardError = FileHandle.nullDevice
        guard (try? go.run()) != nil else { return false }
        go.waitUntilExit()
        return go.terminationStatus == 0
            && imports.allSatisfy { FileManager.default.fileExists(atPath: "\(gopath)/src/\($0)") }
    }

    /// Under CI every Kafka client must run: a missing tool is a failure there, a skip elsewhere.
    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Builds `source` into an executable named `name` and returns its path; throws with the compiler's output.
    static func build(_ source: String, name: String) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-go-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let binary = directory.appendingPathComponent(name).path
        var environment = ProcessInfo.processInfo.environment
        environment["GO111MODULE"] = "off"
        environment["GOPATH"] = gopath
        environment["GOFLAGS"] = ""
        // A cache of its own, kept between runs so that a rebuild takes seconds.
        environment["GOCACHE"] = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-go-cache").path
        let outcome = await ProcessRun.run(
            ["go", "build", "-o", binary, source], environment: environment, timeout: 300)
        guard outcome.status == 0 else {
            throw GoBuildError(output: outcome.stderr + outcome.stdout)
        }
        return binary
    }

    struct GoBuildError: Error, CustomStringConvertible {
        var output: String
        var description: String { "go build failed: \(output)" }
    }
}

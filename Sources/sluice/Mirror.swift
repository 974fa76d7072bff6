import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sluice mirror ...`: runs `sluice-mirror` from the directory of the running `sluice`, as git runs its
/// subcommands. The mirror links librdkafka, which the rest of `sluice` does not need: about 2.4 MB more resident
/// memory for every `sluice serve` that never mirrors.
struct Mirror: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy topics into a Kafka cluster (runs sluice-mirror; see `sluice mirror --help`).",
        discussion: "Every argument goes to sluice-mirror, which is installed next to sluice.")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for sluice-mirror.")
    var arguments: [String] = []

    func run() throws {
        let path = Self.siblingPath("sluice-mirror")
        guard access(path, X_OK) == 0 else {
            Output.error("sluice mirror: \(path) not found: sluice-mirror was not built or not installed next to "
                + "sluice. It is built only where librdkafka's development files are (apt-get install librdkafka-dev, "
                + "then swift build -c release --product sluice-mirror) and installed beside sluice")
            throw ExitCode(1)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        Output.error("sluice mirror: cannot run \(path): \(String(cString: strerror(errno)))")
        throw ExitCode(1)
    }

    /// `name` in the directory of the running executable (symlinks resolved).
    static func siblingPath(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        #if canImport(Glibc)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let executable = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments[0]
        #else
        var size = UInt32(buffer.count)
        let executable = _NSGetExecutablePath(&buffer, &size) == 0 && realpath(buffer, nil) != nil
            ? String(cString: realpath(buffer, nil)) : CommandLine.arguments[0]
        #endif
        guard let slash = executable.lastIndex(of: "/") else { return name }
        return "\(executable[..<slash])/\(name)"
    }
}

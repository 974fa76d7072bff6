import ArgumentParser
import SluiceCommandLine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An executable installed next to `sluice` that a subcommand hands over to, as git runs its subcommands: it links
/// what the rest of `sluice` does not need.
enum SiblingExecutable {
    /// Replaces this process with `name` from the directory of the running `sluice`, passing `arguments`: its
    /// output and exit status are the command's. When it is missing or cannot be run, says so on stderr as
    /// `COMMAND: PATH not found: INSTALL` (or why it cannot be run) and throws exit code 1.
    static func exec(_ name: String, arguments: [String], command: String, install: String) throws -> Never {
        let path = siblingPath(name)
        guard access(path, X_OK) == 0 else {
            Output.error("\(command): \(path) not found: \(install)")
            throw ExitCode(1)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        Output.error("\(command): cannot run \(path): \(String(cString: strerror(errno)))")
        throw ExitCode(1)
    }

    /// `name` in the directory of the running executable (symlinks resolved).
    static func siblingPath(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        #if canImport(Glibc)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            let executable =
                count > 0
                ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                : CommandLine.arguments[0]
        #else
            var size = UInt32(buffer.count)
            let executable =
                _NSGetExecutablePath(&buffer, &size) == 0 && realpath(buffer, nil) != nil
                ? String(cString: realpath(buffer, nil)) : CommandLine.arguments[0]
        #endif
        guard let slash = executable.lastIndex(of: "/") else { return name }
        return "\(executable[..<slash])/\(name)"
    }
}

import SluiceCore

/// A command-line mistake; reported with the usage text and exit status 2.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A command's arguments split into positional values and `--name value` options.
struct Arguments {
    private(set) var positional: [String] = []
    private var options: [String: String] = [:]

    /// Splits `arguments`, accepting only the option names in `known` (without the leading dashes).
    init(_ arguments: [String], options known: Set<String>) throws(UsageError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2))
                guard known.contains(name) else { throw UsageError("unknown option '\(argument)'") }
                guard index + 1 < arguments.count else { throw UsageError("option '\(argument)' needs a value") }
                options[name] = arguments[index + 1]
                index += 2
            } else {
                positional.append(argument)
                index += 1
            }
        }
    }

    func string(_ name: String) -> String? { options[name] }

    /// The option as a positive integer, `defaultValue` when absent.
    func positiveInt(_ name: String, default defaultValue: Int? = nil) throws(UsageError) -> Int {
        guard let text = options[name] else {
            if let defaultValue { return defaultValue }
            throw UsageError("missing --\(name)")
        }
        guard let value = Int(text.replacingUnderscores()), value > 0 else {
            throw UsageError("--\(name) must be a positive integer, not '\(text)'")
        }
        return value
    }
}

extension String {
    /// `1_000_000` reads as `1000000`.
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

extension Arguments {
    /// `--durability full|normal`, `defaultValue` when absent.
    func durability(default defaultValue: Durability? = nil) throws(UsageError) -> Durability {
        guard let text = string("durability") else {
            if let defaultValue { return defaultValue }
            throw UsageError("missing --durability")
        }
        guard let durability = Durability(rawValue: text.lowercased()) else {
            throw UsageError("--durability must be full or normal, not '\(text)'")
        }
        return durability
    }
}

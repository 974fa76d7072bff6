import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Writes `kafka_sasl_users` entries: what `sluice users add` and `sluice users remove` do to a configuration file.
///
/// An entry holds, per SCRAM hash, a fresh random salt, the iteration count, StoredKey and ServerKey: never the
/// password. The file is rewritten whole (its other keys kept, keys sorted, two-space indent) through a temporary
/// file with mode 0600 that is synced and renamed over it, so the file is never half written and never readable by
/// others.
package enum SASLUsersFile {
    /// The JSON entry for `name` with `password`, one credential per hash in `hashes`.
    package static func entry(
        name: String, password: String, hashes: [SCRAMHash], iterations: Int
    ) -> [String: JSONValue] {
        var entry: [String: JSONValue] = ["name": .string(name)]
        for hash in hashes {
            let credential = SCRAMCredential(
                password: password, hash: hash, salt: SecureRandom.bytes(32), iterations: iterations)
            entry[hash.settingKey] = .object([
                "salt": .string(Data(credential.salt).base64EncodedString()),
                "iterations": .int(Int64(credential.iterations)),
                "stored_key": .string(Data(credential.storedKey).base64EncodedString()),
                "server_key": .string(Data(credential.serverKey).base64EncodedString()),
            ])
        }
        return entry
    }

    /// Adds `entry` to the file at `path` (created when missing), replacing an entry of the same name. Returns
    /// whether one was replaced.
    package static func add(_ entry: [String: JSONValue], to path: String) throws(SluiceError) -> Bool {
        var object = try read(path) ?? [:]
        var users = try list(object, path)
        let name = entry["name"]
        let replaced = users.contains { $0.objectValue?["name"] == name }
        users.removeAll { $0.objectValue?["name"] == name }
        users.append(.object(entry))
        object["kafka_sasl_users"] = .array(users)
        try store(object, at: path)
        return replaced
    }

    /// Removes the entry named `name` from the file at `path`. Returns whether there was one.
    package static func remove(name: String, from path: String) throws(SluiceError) -> Bool {
        guard var object = try read(path) else {
            throw SluiceError(.invalidArgument, "cannot read \(path): \(String(cString: strerror(ENOENT)))")
        }
        var users = try list(object, path)
        let before = users.count
        users.removeAll { $0.objectValue?["name"] == .string(name) }
        guard users.count < before else { return false }
        object["kafka_sasl_users"] = .array(users)
        try store(object, at: path)
        return true
    }

    /// The names in the file's `kafka_sasl_users`, in order.
    package static func names(in path: String) throws(SluiceError) -> [String] {
        guard let object = try read(path) else { return [] }
        return try list(object, path).compactMap {
            if case .string(let name)? = $0.objectValue?["name"] { return name }
            return nil
        }
    }

    private static func list(_ object: [String: JSONValue], _ path: String) throws(SluiceError) -> [JSONValue] {
        switch object["kafka_sasl_users"] {
        case nil: return []
        case .array(let users)?: return users
        default: throw SluiceError(.invalidArgument, "\(path): kafka_sasl_users is not a list")
        }
    }

    /// The file's top-level object; nil when there is no file.
    private static func read(_ path: String) throws(SluiceError) -> [String: JSONValue]? {
        guard let file = fopen(path, "r") else {
            if errno == ENOENT { return nil }
            throw SluiceError(.invalidArgument, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if bytes.allSatisfy({ [0x20, 0x0a, 0x0d, 0x09].contains($0) }) { return [:] }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw SluiceError(.invalidArgument, "\(path) is not a JSON object")
        }
        return object
    }

    /// `value` as pretty-printed JSON with sorted keys.
    package static func text(of value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers, lists and objects cannot fail.
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    private static func store(_ object: [String: JSONValue], at path: String) throws(SluiceError) {
        let bytes = Array(text(of: .object(object)).utf8) + [0x0a]
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SluiceError(.invalidArgument, "cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let message = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw SluiceError(.invalidArgument, "cannot write \(temporary): \(message)")
            }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw SluiceError(.invalidArgument, "cannot replace \(path): \(message)")
        }
    }
}

/// Any JSON value, to rewrite a configuration file without knowing all its keys.
package enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

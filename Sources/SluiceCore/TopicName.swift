/// Topic name rules, the same as Kafka's: 1 to 249 characters from `[A-Za-z0-9._-]`, and not `.` or `..`.
package enum TopicName {
    package static let maxLength = 249

    /// Throws `SluiceError` with code `.invalidTopicName` and a message saying what is wrong.
    package static func validate(_ name: String) throws(SluiceError) {
        if name.isEmpty {
            throw SluiceError(.invalidTopicName, "topic name is empty")
        }
        if name == "." || name == ".." {
            throw SluiceError(.invalidTopicName, "topic name cannot be '\(name)'")
        }
        let count = name.utf8.count
        if count > maxLength {
            throw SluiceError(.invalidTopicName, "topic name is \(count) characters long; the limit is \(maxLength)")
        }
        for byte in name.utf8 where !isLegal(byte) {
            throw SluiceError(
                .invalidTopicName,
                "topic name '\(name)' has an illegal character; use only ASCII letters, digits, '.', '_' and '-'"
            )
        }
    }

    package static func isValid(_ name: String) -> Bool {
        do { try validate(name) } catch { return false }
        return true
    }

    private static func isLegal(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

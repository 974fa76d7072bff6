import SluiceClient
import SluiceCore

/// A `consume --format` string, compiled: kcat-style placeholders and backslash escapes.
///
/// `%t` topic, `%p` partition, `%o` offset, `%k` key, `%v` value, `%T` timestamp (ms), `%h` headers as
/// `name=value,name=value`, `%%` a percent sign; `\n`, `\t`, `\r` and `\\` escapes. A null key or value prints as
/// nothing. Each message ends with a newline unless the format already ends with one.
struct MessageFormat {
    enum Part: Equatable {
        case literal([UInt8])
        case topic, partition, offset, key, value, timestamp, headers
    }

    let parts: [Part]
    /// Whether a newline is added after each message (the format does not end with one).
    let addsNewline: Bool

    static let placeholders = "%t %p %o %k %v %T %h %%"

    /// Throws a message naming the problem for an unknown placeholder or a trailing `%`.
    init(_ format: String) throws(FormatError) {
        var parts: [Part] = []
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = []
        }
        var bytes = Array(format.utf8)[...]
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let next = bytes.popFirst() else {
                    throw FormatError("--format ends with a lone '%'; write %% for a percent sign")
                }
                let part: Part
                switch next {
                case UInt8(ascii: "%"):
                    literal.append(next)
                    continue
                case UInt8(ascii: "t"): part = .topic
                case UInt8(ascii: "p"): part = .partition
                case UInt8(ascii: "o"): part = .offset
                case UInt8(ascii: "k"): part = .key
                case UInt8(ascii: "v"): part = .value
                case UInt8(ascii: "T"): part = .timestamp
                case UInt8(ascii: "h"): part = .headers
                default:
                    throw FormatError(
                        "--format has an unknown placeholder '%\(Character(Unicode.Scalar(next)))'; "
                            + "use \(Self.placeholders)")
                }
                flush()
                parts.append(part)
            case UInt8(ascii: "\\"):
                switch bytes.first {
                case UInt8(ascii: "n"): literal.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): literal.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): literal.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "\\"): literal.append(UInt8(ascii: "\\"))
                default:
                    literal.append(byte)
                    continue
                }
                bytes.removeFirst()
            default:
                literal.append(byte)
            }
        }
        addsNewline = literal.last != UInt8(ascii: "\n")
        flush()
        self.parts = parts
    }

    /// Appends one message, formatted, to `out`.
    func write(_ message: ConsumedRecord, to out: inout [UInt8]) {
        for part in parts {
            switch part {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .topic: out.append(contentsOf: message.topic.utf8)
            case .partition: out.append(contentsOf: String(message.partition).utf8)
            case .offset: out.append(contentsOf: String(message.record.offset).utf8)
            case .key: if let key = message.record.key { out.append(contentsOf: key) }
            case .value: if let value = message.record.value { out.append(contentsOf: value) }
            case .timestamp: out.append(contentsOf: String(message.record.timestamp).utf8)
            case .headers:
                for (index, header) in message.record.headers.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: header.name.utf8)
                    if let value = header.value {
                        out.append(UInt8(ascii: "="))
                        out.append(contentsOf: value)
                    }
                }
            }
        }
        if addsNewline { out.append(UInt8(ascii: "\n")) }
    }
}

struct FormatError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

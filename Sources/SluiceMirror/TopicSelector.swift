#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The topics a mirror copies: names and shell-style glob patterns (`*`, `?`, `[...]`, as fnmatch(3) reads them).
package struct TopicSelector: Sendable, Hashable {
    package let patterns: [String]

    /// Throws `MirrorError.usage` if `patterns` is empty or one of them is empty.
    package init(_ patterns: [String]) throws(MirrorError) {
        guard !patterns.isEmpty else { throw .usage("name at least one topic or pattern to mirror") }
        if patterns.contains(where: \.isEmpty) { throw .usage("a topic or pattern cannot be empty") }
        self.patterns = patterns
    }

    /// Whether `topic` is named or matched by a pattern.
    package func matches(_ topic: String) -> Bool {
        patterns.contains { fnmatch($0, topic, 0) == 0 }
    }

    /// The names in `topics` this selector takes, sorted.
    package func select(_ topics: [String]) -> [String] {
        topics.filter(matches).sorted()
    }

    /// The plain names among the patterns (no glob characters): topics that must exist.
    package var literalNames: [String] {
        patterns.filter { !$0.contains(where: { "*?[".contains($0) }) }
    }
}

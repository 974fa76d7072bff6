import Testing

@testable import SluiceMirror

@Suite struct TopicSelectorTests {
    @Test func namesAndGlobPatternsSelectTopics() throws {
        let selector = try TopicSelector(["orders", "sensor.*", "log-?"])
        #expect(
            selector.select(["sensor.b", "orders", "ordersx", "sensor", "sensor.a", "log-1", "log-10"])
                == ["log-1", "orders", "sensor.a", "sensor.b"])
        #expect(selector.literalNames == ["orders"])
    }

    @Test func anEmptySelectionIsAUsageError() {
        #expect(throws: MirrorError.usage("name at least one topic or pattern to mirror")) {
            try TopicSelector([])
        }
        #expect(throws: MirrorError.self) { try TopicSelector(["orders", ""]) }
    }
}

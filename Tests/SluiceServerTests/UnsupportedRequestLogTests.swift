import Testing

@testable import SluiceServer

/// The rate limit on warnings about Kafka requests Sluice does not speak, with time moved by hand.
@Suite struct UnsupportedRequestLogTests {
    @Test func oncePerIntervalPerClientAPIAndVersionWithTheCountInBetween() {
        var log = UnsupportedRequestLog(intervalMs: 60_000)
        #expect(log.note(clientID: "a", apiKey: 3, apiVersion: 99, nowMs: 0) == .log(unlogged: 0))
        #expect(log.note(clientID: "a", apiKey: 3, apiVersion: 99, nowMs: 10) == .quiet)
        #expect(log.note(clientID: "a", apiKey: 3, apiVersion: 99, nowMs: 59_999) == .quiet)
        // Another client, API or version has a line of its own.
        #expect(log.note(clientID: "b", apiKey: 3, apiVersion: 99, nowMs: 20) == .log(unlogged: 0))
        #expect(log.note(clientID: "a", apiKey: 4, apiVersion: 99, nowMs: 20) == .log(unlogged: 0))
        #expect(log.note(clientID: "a", apiKey: 3, apiVersion: 98, nowMs: 20) == .log(unlogged: 0))
        // A minute after the last line: logged again, saying how many went unlogged.
        #expect(log.note(clientID: "a", apiKey: 3, apiVersion: 99, nowMs: 60_000) == .log(unlogged: 2))
        #expect(log.note(clientID: "a", apiKey: 3, apiVersion: 99, nowMs: 60_001) == .quiet)
    }

    @Test func memoryStaysBoundedWhateverTheClientsSend() {
        var log = UnsupportedRequestLog(intervalMs: 60_000, maxEntries: 8, maxClientIDBytes: 4)
        // Eight distinct keys fill the table; more within the minute share the overflow entry: one line, then none.
        for id in 0..<8 {
            #expect(log.note(clientID: "c\(id)", apiKey: 1, apiVersion: 0, nowMs: 0) == .log(unlogged: 0))
        }
        #expect(log.note(clientID: "c8", apiKey: 1, apiVersion: 0, nowMs: 1) == .log(unlogged: 0))
        for id in 9..<1000 {
            #expect(log.note(clientID: "c\(id)", apiKey: 1, apiVersion: 0, nowMs: 2) == .quiet)
        }
        #expect(log.count <= 9)
        // Once the old keys are a minute old they are forgotten to make room.
        #expect(log.note(clientID: "news", apiKey: 1, apiVersion: 0, nowMs: 60_001) == .log(unlogged: 0))
        #expect(log.count <= 9)
        // Client ids are cut: two long ids with the same first bytes are one key.
        #expect(log.note(clientID: "newsXYZ", apiKey: 1, apiVersion: 0, nowMs: 60_002) == .quiet)
    }
}

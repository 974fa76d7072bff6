import Foundation
import SluiceBroker
import Testing

@testable import SluiceServer

@Suite struct GroupMetricsTextTests {
    @Test func rendersEachFamilyOnceWithEscapedLabels() {
        var metrics = Broker.GroupMetrics()
        metrics.lags = [
            .init(group: #"odd"\name"#, topic: "t", partition: 0, lag: 2, oldestUnconsumedAgeSeconds: 1.5)
        ]
        metrics.shares = [
            .init(
                group: "s", topic: "t", partition: 1, acquired: 1, available: 2, delayed: 3, deadLettered: 4,
                archived: 5)
        ]
        let text = GroupMetricsText.render(metrics)
        #expect(text.contains(#"sluice_group_lag{group="odd\"\\name",topic="t",partition="0"} 2"#), "\(text)")
        #expect(
            text.contains(
                #"sluice_group_oldest_unconsumed_age_seconds{group="odd\"\\name",topic="t",partition="0"} 1.5"#))
        #expect(text.contains(#"sluice_share_group_records{group="s",topic="t",partition="1",state="delayed"} 3"#))
        #expect(text.contains(#"sluice_share_group_dead_lettered_total{group="s",topic="t",partition="1"} 4"#))
        #expect(text.contains(#"sluice_share_group_archived_total{group="s",topic="t",partition="1"} 5"#))
        #expect(text.components(separatedBy: "# TYPE sluice_share_group_records gauge").count == 2)
        #expect(!text.contains("truncated"))
    }

    @Test func nothingForNoGroupsAndACommentWhenTruncated() {
        #expect(GroupMetricsText.render(Broker.GroupMetrics()).isEmpty)
        var truncated = Broker.GroupMetrics()
        truncated.truncated = true
        #expect(GroupMetricsText.render(truncated) == "# sluice: per-group series truncated at 10000\n")
    }
}

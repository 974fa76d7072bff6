import SluiceCore

/// Share groups in the catalog: which groups are share groups, their settings, and the topics whose databases
/// hold their state.
extension Catalog {
    /// Replaces a share group's stored settings (keys set away from their defaults) and records the group.
    package func setShareGroupConfig(group: String, _ entries: [String: String], now: Int64) throws(SluiceError) {
        try write {
            try insertShareGroup(group, now: now)
            let delete = try connection.statement("DELETE FROM share_group_configs WHERE group_id = ?")
            delete.bind(1, group)
            try delete.run()
            let insert = try connection.statement(
                "INSERT INTO share_group_configs (group_id, name, value) VALUES (?, ?, ?)")
            for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
                insert.bind(1, group)
                insert.bind(2, name)
                insert.bind(3, value)
                try insert.run()
                insert.reset()
            }
        }
    }

    /// A share group's stored settings; `nil` when the catalog does not know the group as a share group.
    package func shareGroupConfig(group: String) throws(SluiceError) -> [String: String]? {
        do {
            let known = try connection.statement("SELECT 1 FROM share_groups WHERE group_id = ?")
            defer { known.reset() }
            known.bind(1, group)
            guard try known.step() else { return nil }
            let select = try connection.statement("SELECT name, value FROM share_group_configs WHERE group_id = ?")
            defer { select.reset() }
            select.bind(1, group)
            var entries: [String: String] = [:]
            while try select.step() { entries[select.text(0) ?? ""] = select.text(1) ?? "" }
            return entries
        } catch {
            throw error.sluiceError
        }
    }

    /// Records that a share group reads `topics` (and that it is a share group).
    package func registerShareGroup(_ group: String, topics: [String], now: Int64) throws(SluiceError) {
        try write {
            try insertShareGroup(group, now: now)
            let insert = try connection.statement(
                "INSERT OR IGNORE INTO share_group_topics (group_id, topic) VALUES (?, ?)")
            for topic in topics {
                insert.bind(1, group)
                insert.bind(2, topic)
                try insert.run()
                insert.reset()
            }
        }
    }

    /// Every share group the catalog knows.
    package func shareGroups() throws(SluiceError) -> [String] {
        do {
            let select = try connection.statement("SELECT group_id FROM share_groups ORDER BY group_id")
            defer { select.reset() }
            var result: [String] = []
            while try select.step() { result.append(select.text(0) ?? "") }
            return result
        } catch {
            throw error.sluiceError
        }
    }

    /// The topics a share group has read (some may have been deleted since).
    package func shareGroupTopics(_ group: String) throws(SluiceError) -> [String] {
        do {
            let select = try connection.statement(
                "SELECT topic FROM share_group_topics WHERE group_id = ? ORDER BY topic")
            defer { select.reset() }
            select.bind(1, group)
            var result: [String] = []
            while try select.step() { result.append(select.text(0) ?? "") }
            return result
        } catch {
            throw error.sluiceError
        }
    }

    /// Forgets a share group: its row, settings and topics.
    package func removeShareGroup(_ group: String) throws(SluiceError) {
        try write {
            for table in ["share_group_topics", "share_group_configs", "share_groups"] {
                let delete = try connection.statement("DELETE FROM \(table) WHERE group_id = ?")
                delete.bind(1, group)
                try delete.run()
            }
        }
    }

    /// Forgets a deleted topic in every share group's list.
    package func removeShareGroupTopic(_ topic: String) throws(SluiceError) {
        try write {
            let delete = try connection.statement("DELETE FROM share_group_topics WHERE topic = ?")
            delete.bind(1, topic)
            try delete.run()
        }
    }

    private func insertShareGroup(_ group: String, now: Int64) throws {
        let insert = try connection.statement(
            "INSERT OR IGNORE INTO share_groups (group_id, created_ms) VALUES (?, ?)")
        insert.bind(1, group)
        insert.bind(2, now)
        try insert.run()
    }
}

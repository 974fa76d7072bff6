import SluiceCore
import SluiceProtocol

extension SluiceClient {
    /// Deletes the records of `partition` below `offset` (`nil`: every record stored), raising the partition's log
    /// start as retention does, and returns the log start afterwards. The space is given back to the file system
    /// as retention gives it back. Throws `.offsetOutOfRange` for an offset past the partition's next offset,
    /// `.unknownTopic` or `.unknownPartition`, and `.notAuthorized` under a policy that does not grant `admin` on
    /// the topic.
    public func deleteRecords(topic: String, partition: Int32, before offset: Int64?) async throws(SluiceError)
        -> Int64
    {
        let request = DeleteRecordsRequest(topic: topic, partition: partition, beforeOffset: offset ?? -1)
        guard case .deleteRecords(let response) = try await send(.deleteRecords(request)) else {
            throw Self.unexpected(.deleteRecords)
        }
        return response.logStartOffset
    }
}

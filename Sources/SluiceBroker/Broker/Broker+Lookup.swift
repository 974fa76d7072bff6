import SluiceCore

extension Broker {
    /// The number of partitions of a live topic, from memory; throws `unknownTopic` (or the error that keeps a
    /// broken topic closed). Cheap enough to check a request against before doing any work for it.
    package func partitionCount(_ topic: String) throws(SluiceError) -> Int32 {
        try handle(topic).partitionCount
    }
}

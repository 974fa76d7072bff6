import SluiceCore

extension Broker {
    func shareFetchRun(
        _ request: ShareFetchRequest, completion: @escaping @Sendable (Result<ShareFetchResponse, SluiceError>) -> Void
    ) {
        completion(.failure(SluiceError(.unsupportedRequest, "share fetch is not implemented yet")))
    }

    func shareAcknowledgeRun(
        group: String, memberID: String, acknowledgements: [ShareAcknowledgement],
        completion: @escaping @Sendable (Result<[ShareAcknowledgeResult], SluiceError>) -> Void
    ) {
        completion(.failure(SluiceError(.unsupportedRequest, "share acknowledge is not implemented yet")))
    }

    func describeShareGroupRun(_ group: String) async throws(SluiceError) -> ShareGroupDescription {
        throw SluiceError(.unsupportedRequest, "not implemented yet")
    }

    func resetShareGroupRun(group: String, topic: String, to reset: OffsetReset) async throws(SluiceError)
        -> [ShareStartOffset]
    {
        throw SluiceError(.unsupportedRequest, "not implemented yet")
    }

    func deleteShareGroupRun(_ group: String) async throws(SluiceError) {
        throw SluiceError(.unsupportedRequest, "not implemented yet")
    }

    func releaseShareMembers(_ group: String, _ members: [String]) {}
}

// What `import SluiceClient` brings: the domain values its API speaks in (records, errors, topic settings).
@_exported import SluiceCore

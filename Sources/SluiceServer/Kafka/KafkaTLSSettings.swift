import SluiceCore

#if TLS
    import NIOSSL
#endif

/// TLS on the Kafka listener: the PEM files named by `kafka_tls_certificate` (the certificate chain, the server's
/// own certificate first) and `kafka_tls_key` (its private key). Served only by a build with the `TLS` trait
/// (`swift build --traits TLS`); any other build refuses a configuration naming either key.
package struct KafkaTLSSettings: Sendable, Hashable {
    package var certificate: String
    package var key: String

    package init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    /// Whether this build serves TLS (it was built with the `TLS` trait).
    package static var served: Bool {
        #if TLS
            true
        #else
            false
        #endif
    }
}

#if TLS
    extension KafkaTLSSettings {
        /// Reads both files and builds the server context (TLS 1.2 or later); throws, naming the key and the file,
        /// when either cannot be read or parsed, or the key is not the certificate's.
        func makeContext() throws(SluiceError) -> NIOSSLContext {
            let chain: [NIOSSLCertificate]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate)
            } catch {
                throw SluiceError(
                    .invalidArgument,
                    "kafka_tls_certificate \(certificate) is not a readable PEM certificate chain: \(error)")
            }
            guard !chain.isEmpty else {
                throw SluiceError(.invalidArgument, "kafka_tls_certificate \(certificate) holds no PEM certificate")
            }
            let privateKey: NIOSSLPrivateKey
            do {
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw SluiceError(.invalidArgument, "kafka_tls_key \(key) is not a readable PEM private key: \(error)")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            configuration.minimumTLSVersion = .tlsv12
            do {
                return try NIOSSLContext(configuration: configuration)
            } catch {
                throw SluiceError(
                    .invalidArgument,
                    "kafka_tls_certificate \(certificate) and kafka_tls_key \(key) do not make a TLS context "
                        + "(is the key the certificate's?): \(error)")
            }
        }
    }
#endif

import _CryptoExtras
import Foundation
import OrcastraRuntime
import Synchronization

/// The provider's current signing key.
///
/// Exactly one key is live at a time, as after an Authentik rotation that removed the old
/// certificate: the JWKS lists only it and tokens signed by an earlier key no longer verify.
/// Relying parties must therefore re-fetch the JWKS when they meet an unknown kid, which is
/// what the test controls exist to exercise.
final class KeyRing: Sendable {
    private let current: Mutex<SigningKey>

    init(key: SigningKey) {
        self.current = Mutex(key)
    }

    /// The key from `keyFile` when given (created there on first start), else a fresh one.
    convenience init(keyFile: String?) throws(ConfigError) {
        let key: SigningKey
        if let keyFile {
            key = try KeyFile.loadOrCreate(path: keyFile)
        } else {
            do {
                key = try SigningKey.generate()
            } catch {
                throw ConfigError(KeyFile.variable, "is not set and no RSA key could be generated: \(error)")
            }
        }
        self.init(key: key)
    }

    var key: SigningKey { self.current.withLock { $0 } }

    /// Replaces the key with a new one; the old one is gone at once.
    @discardableResult
    func rotate() throws -> SigningKey {
        let key = try SigningKey.generate()
        self.current.withLock { $0 = key }
        return key
    }

    var jwks: JWKSDocument { JWKSDocument(keys: [self.key.jwk]) }
}

/// `DEVIDP_KEY_FILE`: a PEM RSA private key that survives restarts, so sessions and tokens
/// issued before a restart stay valid during development.
enum KeyFile {
    static let variable = "DEVIDP_KEY_FILE"

    static func loadOrCreate(path: String) throws(ConfigError) -> SigningKey {
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(Self.variable, "names \(path), which cannot be read")
            }
            do {
                return try SigningKey(privateKey: _RSA.Signing.PrivateKey(pemRepresentation: String(decoding: data, as: UTF8.self)))
            } catch {
                throw ConfigError(Self.variable, "names \(path), which is not a PEM RSA private key of at least 2048 bits")
            }
        }
        let key: SigningKey
        do {
            key = try SigningKey.generate()
        } catch {
            throw ConfigError(Self.variable, "names \(path), which is missing, and no RSA key could be generated: \(error)")
        }
        guard Self.writeOwnerOnly(Array(key.privateKey.pemRepresentation.utf8), to: path) else {
            throw ConfigError(Self.variable, "names \(path), which is missing and cannot be created")
        }
        return key
    }

    /// Creates `path` with mode 0600 from the first byte (`O_EXCL`: never over an existing file)
    /// rather than writing it and narrowing the mode afterwards.
    private static func writeOwnerOnly(_ bytes: [UInt8], to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }
}

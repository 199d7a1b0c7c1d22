import Crypto
import Foundation
import OrcastraRuntime

/// AES-256-GCM encryption of values kept at rest by the embedded backends.
///
/// The data key is derived with HKDF-SHA256 from the configured master key, so the raw
/// configuration value never encrypts anything directly. Each ciphertext is bound to its row
/// through associated data (e.g. `path` and `version`): a value copied to another row fails
/// to decrypt just like a flipped byte. `keyID` names the master key that sealed a row, which
/// is what makes rotation possible (re-seal every row whose `key_id` is the old one).
struct SecretCipher: Sendable {
    let keyID: String
    private let key: SymmetricKey

    /// - Parameter masterKey: at least 32 characters of high-entropy text (hex from `openssl rand`).
    init(masterKey: String) throws {
        guard masterKey.utf8.count >= 32 else { throw CipherError.weakKey }
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(masterKey.utf8)),
            salt: Data("orcastra".utf8), info: Data("orcastra-secrets-at-rest-v1".utf8), outputByteCount: 32
        )
        self.keyID = Hex.encode(self.key.withUnsafeBytes { SHA256.hash(data: Data($0)) }.prefix(8))
    }

    func seal(_ plaintext: Data, boundTo context: String) throws -> Data {
        try AES.GCM.seal(plaintext, using: self.key, authenticating: Data(context.utf8)).combined!
    }

    func open(_ combined: Data, boundTo context: String) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: self.key, authenticating: Data(context.utf8))
        } catch {
            throw CipherError.integrity
        }
    }

    enum CipherError: Error, Equatable {
        /// The master key is too short to be a real key.
        case weakKey
        /// The ciphertext was altered, moved to another row, or sealed with another key.
        case integrity
    }
}

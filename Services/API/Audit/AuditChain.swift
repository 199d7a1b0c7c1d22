import Crypto
import Foundation
import OrcastraModels

/// The hash chain's rules, shared by the writer (`AuditTrail`) and the checker (`AuditVerifier`)
/// so that both compute exactly the same thing.
///
/// `hash = HMAC-SHA-256(key, prev_hash || seq as 8 bytes big-endian || body)` over the body's
/// stored UTF-8 bytes, with the key from the secret store (`AuditChainKey`); rows written before
/// keying began use plain SHA-256 of the same bytes. The body holds the whole event, its own
/// `seq` included, so a row moved to another position is told apart from a row whose content
/// was changed.
enum AuditChain {
    /// Arbitrary but fixed: the transaction-scoped advisory lock every appender takes, so that
    /// concurrent writers (in this and other API processes) append one at a time.
    static let lockID: Int64 = 0x4F52_4341_4155_4454

    /// The `prev_hash` of the first row.
    static let genesis = Data(repeating: 0, count: 32)

    /// `recorded_at` as the body stores it and verification reads it back from the column:
    /// RFC 3339 in UTC with the microseconds PostgreSQL keeps, so the two compare as text.
    static let timestampFormat = #"YYYY-MM-DD"T"HH24:MI:SS.US"Z""#

    static func hash(prev: Data, seq: Int64, body: Data, key: SymmetricKey?) -> Data {
        guard let key else {
            var hasher = SHA256()
            hasher.update(data: prev)
            withUnsafeBytes(of: seq.bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: body)
            return Data(hasher.finalize())
        }
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: prev)
        mac.update(data: withUnsafeBytes(of: seq.bigEndian) { Data($0) })
        mac.update(data: body)
        return Data(mac.finalize())
    }

    /// What the `body` column holds: the event as its audit line carries it (with the stored,
    /// microsecond `@timestamp`) and its position in the chain.
    struct Body: Codable, Equatable {
        var seq: Int64
        var entry: AuditLogEntry
    }

    /// Sorted keys and no whitespace: one event always gives the same text.
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func encode(_ body: Body) throws -> Data {
        try Self.encoder.encode(body)
    }

    static let decoder = JSONDecoder()

    /// The stored body, or nil when it is not one (verification reports that row as edited).
    static func decode(_ text: String) -> Body? {
        try? Self.decoder.decode(Body.self, from: Data(text.utf8))
    }

    /// The line's `@timestamp` from the stored one: milliseconds, as every other log line has.
    static func millisecondTimestamp(_ stored: String) -> String {
        // `2025-01-02T03:04:05.123456Z` → `2025-01-02T03:04:05.123Z`
        guard let dot = stored.firstIndex(of: "."), stored.distance(from: dot, to: stored.endIndex) == 8 else { return stored }
        return String(stored[...stored.index(dot, offsetBy: 3)]) + "Z"
    }
}

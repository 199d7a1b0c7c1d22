import Foundation
import OrcastraRuntime

/// A trust token exactly as `lxc config trust add` prints it: base64 of
/// `{"client_name","fingerprint","addresses","secret","expires_at"}`, where `fingerprint` is
/// the SHA-256 of the server certificate's DER (LXD 5.0 and Incus alike).
///
/// LXD 5.0.2 accepts the whole token as `password` in `POST /1.0/certificates`; newer LXD and
/// Incus take it as `trust_token` (API extension `explicit_trust_token`), so the original text
/// is kept beside the decoded fields.
struct TrustToken: Sendable, Equatable {
    var clientName: String
    /// Lower-case hex SHA-256 of the server certificate (64 characters).
    var fingerprint: String
    /// `host:port` pairs the server listens on.
    var addresses: [String]
    var secret: String
    /// nil when the token does not expire (LXD writes the zero time, `0001-01-01T00:00:00Z`).
    var expiresAt: Date?
    /// The token as given, for the server.
    var raw: String

    /// Why a token cannot be used, phrased for the person who pasted it.
    /// Answered 400 `invalid_trust_token` with what is wrong with it.
    struct Invalid: APIErrorConvertible, Equatable, CustomStringConvertible {
        var description: String
        var apiError: APIError { APIError(.badRequest, code: "invalid_trust_token", message: self.description) }
    }

    private struct Fields: Decodable {
        var client_name: String?
        var fingerprint: String?
        var addresses: [String]?
        var secret: String?
        var expires_at: String?
    }

    init(_ text: String) throws(Invalid) {
        let raw = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !raw.isEmpty, raw.count <= 8192 else { throw Invalid(description: "the trust token is empty or too long") }
        var base64 = raw.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let fields = try? JSONDecoder().decode(Fields.self, from: data) else {
            throw Invalid(description: "the trust token is not what `lxc config trust add` prints (base64 of JSON)")
        }
        guard let fingerprint = fields.fingerprint?.lowercased(), fingerprint.count == 64, fingerprint.allSatisfy(\.isHexDigit) else {
            throw Invalid(description: "the trust token has no valid server fingerprint")
        }
        guard let secret = fields.secret, !secret.isEmpty else { throw Invalid(description: "the trust token has no secret") }
        let addresses = fields.addresses ?? []
        guard !addresses.isEmpty, addresses.allSatisfy({ Self.isHostPort($0) }) else {
            throw Invalid(description: "the trust token names no usable server address")
        }
        // A server lists its own addresses, a handful at most; registration tries each, so a
        // token cannot turn it into a scan of many hosts.
        guard addresses.count <= Self.maxAddresses else {
            throw Invalid(description: "the trust token names more than \(Self.maxAddresses) addresses")
        }
        self.clientName = fields.client_name ?? ""
        self.fingerprint = fingerprint
        self.addresses = addresses
        self.secret = secret
        self.raw = raw
        self.expiresAt = try Self.expiry(fields.expires_at)
    }

    static let maxAddresses = 16

    func isExpired(at now: Date = Date()) -> Bool {
        self.expiresAt.map { $0 <= now } ?? false
    }

    /// `host:port` or `[v6]:port`.
    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return false }
        return colon != text.startIndex
    }

    static func expiry(_ text: String?) throws(Invalid) -> Date? {
        guard let text, !text.hasPrefix("0001-01-01") else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        throw Invalid(description: "the trust token's expiry '\(text)' is not a time")
    }
}

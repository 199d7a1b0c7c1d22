import Foundation
import OrcastraRuntime

/// A value and the exact text our APIs and log lines write for it.
///
/// The texts are literal so that any change to a DTO's coding (a key renamed, a `null` left
/// out, a date written differently) fails a test instead of silently changing what clients,
/// the log shipper or the audit chain's stored bodies see.
public struct JSONExample: Sendable, CustomStringConvertible {
    public let description: String
    public let expected: String
    /// The value as `JSONCoding.encoder` (sorted keys, RFC 3339 dates) writes it.
    private let encoded: @Sendable () throws -> String
    /// Decodes a text and writes the result again; nil for types that are only ever written.
    private let rewritten: (@Sendable (String) throws -> String)?

    /// A type that is read back as well as written.
    public init<T: Codable & Sendable>(_ description: String, _ value: T, _ expected: String) {
        self.init(description, value, expected, rewritten: { text in
            try Self.text(JSONCoding.decoder.decode(T.self, from: Data(text.utf8)))
        })
    }

    /// A type that is only written.
    public init<T: Encodable & Sendable>(written description: String, _ value: T, _ expected: String) {
        self.init(description, value, expected, rewritten: nil)
    }

    private init<T: Encodable & Sendable>(
        _ description: String, _ value: T, _ expected: String, rewritten: (@Sendable (String) throws -> String)?
    ) {
        self.description = description
        self.expected = expected
        self.encoded = { try Self.text(value) }
        self.rewritten = rewritten
    }

    /// What differs from the expectation, one line each: the value must be written as
    /// `expected`, and a readable type must read `expected` back, with its nulls and without
    /// them, to a value that is written the same again.
    public func differences() throws -> [String] {
        var found: [String] = []
        let written = try self.encoded()
        if written != self.expected { found.append("written as \(written)") }
        if let rewritten = self.rewritten {
            for input in [self.expected, try Self.withoutNulls(self.expected)] {
                let again = try rewritten(input)
                if again != self.expected { found.append("\(input) read and written again as \(again)") }
            }
        }
        return found
    }

    private static func text(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
    }

    /// `text` with every member whose value is `null` removed, at any depth: what a writer
    /// that leaves out the fields it has no value for would send.
    static func withoutNulls(_ text: String) throws -> String {
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { !($0.value is NSNull) }.mapValues(strip)
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        let stripped = strip(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
        return String(decoding: try JSONSerialization.data(withJSONObject: stripped, options: [.sortedKeys]), as: UTF8.self)
    }
}

import Foundation
import Configuration

/// Typed, validated access to the environment variables (README.md, Configuration).
///
/// swift-configuration finds the raw strings (process environment first, then `.env`);
/// parsing happens here so that a malformed value is an error naming the variable instead of
/// silently falling back to a default.
public struct Settings: Sendable {
    let reader: ConfigReader

    public init(reader: ConfigReader) {
        self.reader = reader
    }

    /// The raw value, or nil when unset or empty.
    public func string(_ name: String, secret: Bool = false) -> String? {
        guard let value = self.reader.string(forKey: ConfigKey([name]), isSecret: secret) else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A value that must be present.
    public func required(_ name: String, secret: Bool = false) throws(ConfigError) -> String {
        guard let value = self.string(name, secret: secret) else {
            throw ConfigError(name, "is required but not set")
        }
        return value
    }

    /// An integer within `range`, or `defaultValue` when unset.
    public func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = self.string(name) else { return defaultValue }
        guard let value = Int(raw) else { throw ConfigError(name, "must be a whole number") }
        guard range.contains(value) else {
            throw ConfigError(name, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// A boolean written the ways `.env` files usually write them.
    public func bool(_ name: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let raw = self.string(name) else { return defaultValue }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(name, "must be true or false")
        }
    }

    /// A comma-separated list, blanks dropped.
    public func list(_ name: String, default defaultValue: [String]) -> [String] {
        guard let raw = self.string(name) else { return defaultValue }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An absolute http(s) URL, without a trailing slash.
    public func httpURL(_ name: String, default defaultValue: String) throws(ConfigError) -> String {
        let raw = self.string(name) ?? defaultValue
        guard let url = URLParts(raw), url.scheme == "http" || url.scheme == "https", !url.host.isEmpty else {
            throw ConfigError(name, "must be an http:// or https:// URL")
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }
}

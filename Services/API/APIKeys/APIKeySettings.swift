import Foundation
import OrcastraRuntime

/// How long API keys live (README.md, Configuration): every key expires, so a key that leaks or
/// is forgotten stops working on its own.
struct APIKeySettings: Sendable {
    /// `API_KEY_DEFAULT_DAYS`: the lifetime of a key whose request names none.
    var defaultDays: Int
    /// `API_KEY_MAX_DAYS`: the longest lifetime a request may ask for.
    var maxDays: Int

    init(defaultDays: Int = 90, maxDays: Int = 365) {
        self.defaultDays = defaultDays
        self.maxDays = maxDays
    }

    init(settings s: Settings) throws(ConfigError) {
        let maxDays = try s.int("API_KEY_MAX_DAYS", default: 365, range: 1...3650)
        let defaultDays = try s.int("API_KEY_DEFAULT_DAYS", default: 90, range: 1...3650)
        guard defaultDays <= maxDays else {
            throw ConfigError("API_KEY_DEFAULT_DAYS", "is \(defaultDays), longer than API_KEY_MAX_DAYS (\(maxDays))")
        }
        self.init(defaultDays: defaultDays, maxDays: maxDays)
    }

    /// When a key asked for at `now` expires: `expires_at` or `expires_in_days` if given (at most
    /// one, within `maxDays`), else `defaultDays` from now. Anything else is a 422 naming it.
    func expiry(at: Date?, inDays days: Int?, now: Date = Date()) throws(APIError) -> Date {
        let latest = now.addingTimeInterval(Self.seconds(self.maxDays))
        switch (at, days) {
        case (.some, .some):
            throw APIError(.unprocessableContent, code: "invalid_expiry", message: "give expires_at or expires_in_days, not both")
        case (let date?, nil):
            guard date > now else {
                throw APIError(.unprocessableContent, code: "invalid_expiry", message: "expires_at must be in the future")
            }
            guard date <= latest else {
                throw APIError(.unprocessableContent, code: "invalid_expiry", message: "expires_at may be at most \(self.maxDays) days from now (API_KEY_MAX_DAYS)")
            }
            return date
        case (nil, let days?):
            guard (1...self.maxDays).contains(days) else {
                throw APIError(.unprocessableContent, code: "invalid_expiry", message: "expires_in_days must be 1 to \(self.maxDays) (API_KEY_MAX_DAYS)")
            }
            return now.addingTimeInterval(Self.seconds(days))
        case (nil, nil):
            return now.addingTimeInterval(Self.seconds(self.defaultDays))
        }
    }

    static func seconds(_ days: Int) -> TimeInterval { TimeInterval(days) * 86_400 }
}

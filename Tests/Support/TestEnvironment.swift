import Foundation
import OrcastraRuntime

/// Where the tests find the real PostgreSQL and Redis, the built binaries and the repository.
///
/// `make test` exports `TEST_DATABASE_URL` and `TEST_REDIS_URL`; when a developer runs
/// `swift test` by hand after `make run`, the same values come from the repository's `.env`.
/// A missing server is an error that says how to start it; no test skips.
public enum TestEnvironment {
    /// The repository root, found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `TEST_<name>`, else `<name>` from `.env`.
    public static func value(_ name: String) -> String? {
        if let v = ProcessInfo.processInfo.environment["TEST_" + name], !v.isEmpty { return v }
        return dotEnv[name]
    }

    static let dotEnv: [String: String] = {
        guard let text = try? String(contentsOf: root.appendingPathComponent(".env"), encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        return values
    }()

    /// A role that may create the tests' throw-away databases and owns them: `TEST_DATABASE_URL`,
    /// else the schema owner `make run` writes into `.env` (`DATABASE_OWNER_URL`), else `.env`'s
    /// `DATABASE_URL` (an older `.env` with one role).
    public static func databaseURL() throws -> DatabaseURL {
        let env = ProcessInfo.processInfo.environment
        guard let raw = [env["TEST_DATABASE_URL"], dotEnv["DATABASE_OWNER_URL"], dotEnv["DATABASE_URL"]].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw MissingService("PostgreSQL: TEST_DATABASE_URL is not set and .env has no DATABASE_URL; run `make test` (or `make run` once) to start the project's PostgreSQL")
        }
        return try DatabaseURL(parsing: raw)
    }

    /// The API's own, unprivileged role (`TEST_DATABASE_APP_URL`, else `.env`'s `DATABASE_URL`
    /// when `.env` names an owner beside it), for tests of what that role may not do.
    public static func appDatabaseURL() throws -> DatabaseURL {
        let env = ProcessInfo.processInfo.environment
        let raw = env["TEST_DATABASE_APP_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? (dotEnv["DATABASE_OWNER_URL"] != nil ? dotEnv["DATABASE_URL"] : nil)
        guard let raw else {
            throw MissingService("PostgreSQL: no role of the API's own; set TEST_DATABASE_APP_URL, or run `make run` once so .env names DATABASE_OWNER_URL and DATABASE_URL")
        }
        return try DatabaseURL(parsing: raw)
    }

    public static func redisURL() throws -> RedisURL {
        guard let raw = value("REDIS_URL") else {
            throw MissingService("Redis: TEST_REDIS_URL is not set and .env has no REDIS_URL; run `make test` (or `make run` once) to start the project's Redis")
        }
        return try RedisURL(parsing: raw)
    }

    /// Folder of `orcastra-api` and `orcastra-gateway`.
    public static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["ORCASTRA_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return root.appendingPathComponent(".build/debug")
    }

    /// PostgreSQL's server binaries (`initdb`, `pg_ctl`).
    public static func postgresBin() throws -> URL {
        if let dir = ProcessInfo.processInfo.environment["PG_BIN"] { return URL(fileURLWithPath: dir) }
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base))?.compactMap(Int.init).sorted() ?? []
        guard let newest = versions.last else {
            throw MissingService("PostgreSQL server binaries: none under \(base); run `make deps`")
        }
        return URL(fileURLWithPath: "\(base)/\(newest)/bin")
    }
}

/// A server or tool a test needs is not there; the message says how to provide it.
public struct MissingService: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = "missing test dependency: " + description }
}

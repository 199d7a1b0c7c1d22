import Foundation
import NIOHTTP1

/// `SecretStore` on Vault's KV v2 engine mounted at `secret/`: data under `secret/data/<path>`,
/// versions and listing under `secret/metadata/<path>`.
struct VaultSecretStore: SecretStore {
    let vault: VaultClient
    var mount = "secret"

    func read(_ path: SecretPath) async throws -> StoredSecret? {
        let answer = try await self.vault.send(.GET, "\(self.mount)/data/\(path)")
        if answer.status == 404 { return nil }
        try Self.check(answer, path: path)
        guard let data = answer.data, let values = data["data"] as? [String: Any], let metadata = data["metadata"] as? [String: Any],
              let version = metadata["version"] as? Int else {
            throw SecretStoreError.corrupted(path: path.description)
        }
        let created = (metadata["created_time"] as? String).flatMap(Self.date) ?? Date(timeIntervalSince1970: 0)
        return StoredSecret(data: values.mapValues(Self.text), version: version, createdAt: created)
    }

    @discardableResult
    func write(_ path: SecretPath, data: [String: String], cas: Int?) async throws -> Int {
        var body: [String: Any] = ["data": data]
        if let cas { body["options"] = ["cas": cas] }
        let answer = try await self.vault.send(.POST, "\(self.mount)/data/\(path)", json: body)
        if answer.status == 400, let cas, answer.errors.contains(where: { $0.contains("check-and-set") }) {
            throw SecretStoreError.versionConflict(expected: cas, current: try await self.currentVersion(path))
        }
        try Self.check(answer, path: path)
        guard let version = answer.data?["version"] as? Int else { throw SecretStoreError.corrupted(path: path.description) }
        return version
    }

    func list(_ folder: SecretPath) async throws -> [String] {
        let answer = try await self.vault.send(.GET, "\(self.mount)/metadata/\(folder)", query: "list=true")
        // Vault answers an empty LIST with 404 and no errors.
        if answer.status == 404 { return [] }
        try Self.check(answer, path: folder)
        return ((answer.data?["keys"] as? [String]) ?? []).sorted()
    }

    func delete(_ path: SecretPath) async throws {
        let answer = try await self.vault.send(.DELETE, "\(self.mount)/metadata/\(path)")
        if answer.status == 404 { return }
        try Self.check(answer, path: path)
    }

    private func currentVersion(_ path: SecretPath) async throws -> Int {
        let answer = try await self.vault.send(.GET, "\(self.mount)/metadata/\(path)")
        if answer.status == 404 { return 0 }
        return answer.data?["current_version"] as? Int ?? 0
    }

    /// 200 and 204 are success; anything else is reported without Vault's own words, which
    /// may quote request data.
    private static func check(_ answer: VaultClient.Answer, path: SecretPath) throws {
        guard answer.status == 200 || answer.status == 204 else {
            throw SecretStoreError.unavailable(code: "vault_error", message: "Vault answered \(answer.status) for \(path).")
        }
    }

    /// Values are strings in our secrets; anything else Vault holds is kept as its JSON text.
    private static func text(_ value: Any) -> String {
        if let s = value as? String { return s }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Vault writes nanoseconds (`2018-03-22T02:24:06.945319214Z`); keep milliseconds.
    static func date(_ text: String) -> Date? {
        var trimmed = text
        if let dot = text.firstIndex(of: "."), let end = text.lastIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }), end > dot {
            let fraction = text[text.index(after: dot)..<end].prefix(3)
            trimmed = String(text[..<dot]) + "." + fraction.padding(toLength: 3, withPad: "0", startingAt: 0) + String(text[end...])
        }
        if let date = try? Date(trimmed, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) {
            return date
        }
        return try? Date(text, strategy: .iso8601)
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The small part of Vault's HTTP API Orcastra uses: JSON requests under `/v1/` with the token
/// in `X-Vault-Token`, errors as `{"errors":[…]}`.
///
/// Transport failures and Vault's availability statuses become `SecretStoreError.unavailable`
/// with the codes the API answers (`vault_sealed`, `vault_unreachable`), so that a sealed or
/// absent Vault degrades the features that need it and nothing else.
struct VaultClient: Sendable {
    let http: HTTPClient
    /// `VAULT_ADDR` without a trailing slash.
    let address: String
    let token: String
    let timeout: TimeAmount

    /// An answer from Vault: its status and parsed JSON body (empty for 204).
    struct Answer {
        var status: Int
        var body: [String: Any]

        /// `errors` from the body; an empty list on a 404 LIST means "nothing here".
        var errors: [String] { self.body["errors"] as? [String] ?? [] }
        var data: [String: Any]? { self.body["data"] as? [String: Any] }
    }

    func send(_ method: HTTPMethod, _ path: String, query: String? = nil, json: [String: Any]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: "\(self.address)/v1/\(path)\(query.map { "?" + $0 } ?? "")")
        request.method = method
        request.headers.add(name: "X-Vault-Token", value: self.token)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await self.http.execute(request, timeout: self.timeout)
            bytes = try await response.body.collect(upTo: 4 << 20)
        } catch {
            throw SecretStoreError.unavailable(code: "vault_unreachable", message: "Vault at \(self.address) is unreachable.")
        }
        let status = Int(response.status.code)
        let body = (bytes.readableBytes > 0 ? try? JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any] : nil) ?? [:]
        switch status {
        case 503: throw SecretStoreError.unavailable(code: "vault_sealed", message: "Vault is sealed; unseal it to use secrets and certificates.")
        case 501: throw SecretStoreError.unavailable(code: "vault_sealed", message: "Vault is not initialised.")
        case 429, 472, 473: throw SecretStoreError.unavailable(code: "vault_unreachable", message: "Vault answered as a standby node; no active node is reachable.")
        case 403: throw SecretStoreError.denied(path: path)
        default: return Answer(status: status, body: body)
        }
    }
}

/// What `sys/health` says about Vault.
enum VaultState: String, Sendable {
    case active, standby, sealed, uninitialized, unreachable

    /// Vault documents these statuses for `GET /v1/sys/health`.
    static func from(status: Int) -> VaultState {
        switch status {
        case 200: .active
        case 429, 472, 473: .standby
        case 501: .uninitialized
        case 503: .sealed
        default: .unreachable
        }
    }
}

extension VaultClient {
    /// Reads `sys/health` (which needs no token) into a state; never throws.
    func health() async -> VaultState {
        var request = HTTPClientRequest(url: "\(self.address)/v1/sys/health")
        request.method = .GET
        guard let response = try? await self.http.execute(request, timeout: self.timeout) else { return .unreachable }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return VaultState.from(status: Int(response.status.code))
    }
}

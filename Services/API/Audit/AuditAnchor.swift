import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO
import ServiceLifecycle

/// A copy of the chain head kept outside the audit tables: the newest one is in the secret
/// store (`orcastra/audit/anchor`), and every one is an `audit.anchor` line in the audit log
/// (`log_type: audit`) that OpenSearch keeps.
///
/// The key stops anyone without the secret store from recomputing the chain; an anchor stops
/// anyone from cutting the chain back (deleting the newest rows and moving the head with them)
/// or rewriting what was anchored, unnoticed: `GET /audit-log/verify` checks that the row at the
/// anchor's `seq` still has the anchored hash.
struct AuditAnchor: Sendable, Equatable {
    static let path = try! SecretPath("orcastra/audit/anchor")

    var seq: Int64
    var hash: Data
    /// RFC 3339, UTC.
    var anchoredAt: String

    init(seq: Int64, hash: Data, anchoredAt: String) {
        self.seq = seq
        self.hash = hash
        self.anchoredAt = anchoredAt
    }

    init?(stored: [String: String]) {
        guard let text = stored["seq"], let seq = Int64(text), seq >= 1,
              let hex = stored["hash"], let hash = Hex.decode(hex), hash.count == 32, let at = stored["anchored_at"] else { return nil }
        self.init(seq: seq, hash: hash, anchoredAt: at)
    }

    var stored: [String: String] {
        ["seq": String(self.seq), "hash": Hex.encode(self.hash), "anchored_at": self.anchoredAt]
    }
}

/// Writes an anchor every `AUDIT_ANCHOR_INTERVAL_SECONDS` when the chain has grown, and once
/// more at shutdown. Several API processes may each anchor; the newest write wins, and every
/// anchor they write is a true head, so any of them checks the chain.
final class AuditAnchoring: Service, Sendable {
    let client: PostgresClient
    let trail: AuditTrail
    let interval: Duration
    let logger: Logger

    init(client: PostgresClient, trail: AuditTrail, interval: Duration, logger: Logger) {
        self.client = client
        self.trail = trail
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        var last: Int64 = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch { break }
            last = await self.anchorIfGrown(since: last)
        }
        _ = await self.anchorIfGrown(since: last)
    }

    /// Anchors the head if it moved past `since`; returns the newest anchored `seq`. A failure
    /// (PostgreSQL down, Vault sealed) is logged and retried at the next tick.
    func anchorIfGrown(since: Int64) async -> Int64 {
        do {
            guard let anchor = try await self.head(), anchor.seq > since else { return since }
            try await self.write(anchor)
            return anchor.seq
        } catch {
            self.logger.warning("the audit chain head could not be anchored; retrying later", metadata: ["error": "\(error)"])
            return since
        }
    }

    /// The head as it is now; nil while the chain is empty.
    func head() async throws -> AuditAnchor? {
        let rows = try await self.client.boundedQuery(
            "SELECT seq, hash, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM audit_chain_head", logger: self.logger)
        for try await (seq, hash, at) in rows.decode((Int64, Data, String).self) where seq > 0 {
            return AuditAnchor(seq: seq, hash: hash, anchoredAt: at)
        }
        return nil
    }

    /// The line first (it needs nothing but the log), then the secret store.
    func write(_ anchor: AuditAnchor) async throws {
        self.trail.emitAnchor(anchor)
        try await self.trail.keys.store.write(AuditAnchor.path, data: anchor.stored, cas: nil)
    }
}

extension AuditTrail {
    /// The `audit.anchor` line: an audit-log line that is not a row of the chain (a row would
    /// move the head it records).
    func emitAnchor(_ anchor: AuditAnchor) {
        let entry = AuditLogEntry(
            timestamp: anchor.anchoredAt, eventID: UUID().uuidString.lowercased(), requestID: nil, service: self.service,
            version: self.version, action: "audit.anchor", category: "audit", severity: .info,
            actor: AuditActor(userID: nil, userType: .system), target: AuditTarget(type: "audit_chain", id: String(anchor.seq)),
            result: .success, errorCode: nil, errorMessage: nil,
            details: ["seq": String(anchor.seq), "head_hash": Hex.encode(anchor.hash)], metadata: AuditMetadata(), host: self.host)
        if self.json {
            self.sink.write(json: entry)
        } else {
            self.sink.write(line: "\(entry.timestamp) AUDIT audit.anchor seq=\(anchor.seq) head_hash=\(Hex.encode(anchor.hash))")
        }
    }
}

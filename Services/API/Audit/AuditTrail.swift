import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// THE one way to record an audit event: appends the hash-chained row inside the
/// transaction that makes the audited change, and writes the `log_type: "audit"` line once that
/// transaction has committed.
///
/// A change that rolls back therefore leaves neither a row nor a line, and a line never
/// describes something the database does not hold. The reverse gap (committed, then the
/// process dies before the line is written) is possible; the table is the record of truth and
/// the line its copy for OpenSearch.
///
/// A failed or refused attempt is recorded by catching the error and recording a `.failure` or
/// `.denied` event on its own: the body that threw has rolled back, audit row included.
final class AuditTrail: Sendable {
    let service: String
    let version: String
    let sink: LogSink
    let host: LogHost
    /// When false (`JSON_LOGS=false`, development), a readable line instead of JSON.
    let json: Bool
    /// The chain's HMAC key, from the secret store.
    let keys: AuditChainKeys

    init(service: String, version: String, sink: LogSink, keys: AuditChainKeys, host: LogHost = .current, json: Bool = true) {
        self.service = service
        self.version = version
        self.sink = sink
        self.keys = keys
        self.host = host
        self.json = json
    }

    /// Service name, version and log format from the service configuration.
    convenience init(config: ServiceConfig, sink: LogSink, keys: AuditChainKeys) {
        self.init(service: config.serviceName, version: config.version, sink: sink, keys: keys, json: config.jsonLogs)
    }

    /// Runs `body` (the change being audited) in a new transaction, appends `event` on the same
    /// connection, commits, then writes the line. `duration_ms` is the body's run time unless
    /// the event sets it.
    @discardableResult
    func record<T: Sendable>(
        _ event: AuditEvent, client: PostgresClient, logger: Logger,
        _ body: (DatabaseTransaction) async throws -> T
    ) async throws -> T {
        try await self.record(client: client, logger: logger) { connection in
            (try await body(connection), Optional(event))
        }
    }

    /// For when the event depends on what the body did (the id it created, what it found
    /// before changing it): the body returns its result and the event to record, or nil when
    /// what it found needs no event (the row is then neither appended nor logged).
    @discardableResult
    func record<T: Sendable>(
        client: PostgresClient, logger: Logger,
        _ body: (DatabaseTransaction) async throws -> (T, AuditEvent?)
    ) async throws -> T {
        let key = try await self.keys.forAppend(client: client, logger: logger)
        let (value, stored) = try await client.transaction(logger: logger) { connection in
            let start = ContinuousClock.now
            let (value, found) = try await body(connection)
            guard var event = found else { return (value, AuditChain.Body?.none) }
            if event.durationMs == nil { event.durationMs = (ContinuousClock.now - start).milliseconds(places: 3) }
            return (value, try await self.append(event, key: key, on: connection, logger: logger))
        }
        if let stored { self.emit(stored) }
        return value
    }

    /// Records an event that accompanies no database change (a login, a refused request).
    @discardableResult
    func record(_ event: AuditEvent, client: PostgresClient, logger: Logger) async throws -> AuditRecord {
        let key = try await self.keys.forAppend(client: client, logger: logger)
        let stored = try await client.transaction(logger: logger) { connection in
            try await self.append(event, key: key, on: connection, logger: logger)
        }
        self.emit(stored)
        return AuditRecord(stored)
    }

    /// Records the failure of an attempt that has already failed: the caller goes on to answer
    /// that failure, so a failed audit write must not replace it, and must not vanish either.
    /// It is logged at error level with the event it lost.
    func recordFailure(_ event: AuditEvent, client: PostgresClient, logger: Logger) async {
        do {
            try await self.record(event, client: client, logger: logger)
        } catch {
            logger.error("an audit event could not be recorded", metadata: [
                "error": "\(error)", "action": "\(event.action)", "result": "\(event.result.rawValue)",
                "actor": "\(event.actor.userID ?? event.actor.userType.rawValue)",
                "target": "\([event.target.type, event.target.host, event.target.id].compactMap { $0 }.joined(separator: "/"))",
                "error_code": "\(event.errorCode ?? "")", "error_message": "\(event.errorMessage ?? "")",
                "details": "\(event.details)", "request_id": "\(event.requestID ?? "")",
            ])
        }
    }

    /// Appends one row after the head, under the chain lock, and advances the head.
    ///
    /// The lock is taken after the audited body ran, so it is held only from here to commit.
    /// `recorded_at` is PostgreSQL's clock read under the lock, so it never goes backwards
    /// along the chain (barring a clock step on the server).
    private func append(_ event: AuditEvent, key: AuditChainKey, on connection: DatabaseTransaction, logger: Logger) async throws -> AuditChain.Body {
        try await connection.query("SELECT pg_advisory_xact_lock(\(AuditChain.lockID))", logger: logger)
        var head: (Int64, Data, String)?
        let rows = try await connection.query(
            """
            SELECT seq, hash, to_char(clock_timestamp() AT TIME ZONE 'UTC', \(AuditChain.timestampFormat))
            FROM audit_chain_head FOR UPDATE
            """, logger: logger)
        for try await row in rows.decode((Int64, Data, String).self) { head = row }
        guard let (last, prev, recordedAt) = head else { throw AuditChainHeadMissing() }

        let eventID = UUID()
        let body = AuditChain.Body(seq: last + 1, entry: AuditLogEntry(
            timestamp: recordedAt, eventID: eventID.uuidString.lowercased(), requestID: event.requestID,
            service: self.service, version: self.version, action: event.action, category: event.category,
            severity: event.severity, actor: event.actor, target: event.target, result: event.result,
            errorCode: event.errorCode, errorMessage: event.errorMessage, details: event.details,
            metadata: AuditMetadata(durationMs: event.durationMs, before: event.before, after: event.after), host: self.host
        ))
        let bytes = try AuditChain.encode(body)
        let hash = AuditChain.hash(prev: prev, seq: body.seq, body: bytes, key: key.key(for: body.seq))
        try await connection.query(
            """
            INSERT INTO audit_events (seq, event_id, recorded_at, action, category, severity, result, actor_id, body, prev_hash, hash)
            VALUES (\(body.seq), \(eventID), CAST(\(recordedAt) AS timestamptz), \(event.action), \(event.category),
                    \(event.severity.rawValue), \(event.result.rawValue), \(event.actor.userID), \(String(decoding: bytes, as: UTF8.self)),
                    \(prev), \(hash))
            """, logger: logger)
        try await connection.query("UPDATE audit_chain_head SET seq = \(body.seq), hash = \(hash)", logger: logger)
        return body
    }

    /// The committed event as its audit line, with a millisecond `@timestamp` like every line.
    private func emit(_ stored: AuditChain.Body) {
        var line = stored.entry
        line.timestamp = AuditChain.millisecondTimestamp(line.timestamp)
        if self.json {
            self.sink.write(json: line)
        } else {
            let target = [line.target.type, line.target.id].compactMap { $0 }.joined(separator: "/")
            self.sink.write(line: "\(line.timestamp) AUDIT \(line.action) \(line.result.rawValue) actor=\(line.actor.userID ?? line.actor.userType.rawValue) target=\(target.isEmpty ? "-" : target) event=\(line.eventID) rid=\(line.requestID ?? "-")")
        }
    }
}

/// The migration creates the head row and triggers keep it; its absence means a damaged schema.
struct AuditChainHeadMissing: Error, CustomStringConvertible {
    var description: String { "the audit_chain_head row is missing; the audit schema is damaged" }
}

extension AuditRecord {
    /// The list endpoint's view of a stored event.
    init(_ stored: AuditChain.Body) {
        let e = stored.entry
        self.init(
            seq: Int(stored.seq), eventID: e.eventID, recordedAt: e.timestamp, action: e.action, category: e.category,
            severity: e.severity, actor: e.actor, target: e.target, result: e.result, errorCode: e.errorCode,
            errorMessage: e.errorMessage, details: e.details, requestID: e.requestID
        )
    }
}

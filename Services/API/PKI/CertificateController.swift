import Foundation
import Hummingbird
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// `/api/v1/pki/certs` (admins): issue a client certificate (certificate, chain and private key
/// returned once), list what was issued, revoke by serial. Issuing and revoking are audited
/// with the serial and names, never the key.
struct CertificateController {
    let pki: PKIService
    let audit: AuditTrail
    let postgres: PostgresClient
    let logger: Logger

    func addRoutes(to routes: AccessRoutes) {
        routes.post("pki/certs", .entitlement(.canManageCertificates, on: .server), use: self.issue)
        routes.get("pki/certs", .entitlement(.canManageCertificates, on: .server), use: self.list)
        routes.post("pki/certs/:serial/revoke", .entitlement(.canManageCertificates, on: .server), use: self.revoke)
    }

    /// `{"common_name": "lxd-client", "sans": ["host.example", "10.0.0.5"], "ttl_hours": 720}`.
    struct IssueRequest: Decodable {
        var commonName: String
        var sans: [String]?
        var ttlHours: Int

        enum CodingKeys: String, CodingKey {
            case commonName = "common_name", sans, ttlHours = "ttl_hours"
        }
    }

    /// The answer to an issue: the only time the private key is shown.
    struct Issued: Encodable, ResponseEncodable {
        var serial: String
        var certificate: String
        var chain: [String]
        var privateKey: String
        var notAfter: Date

        enum CodingKeys: String, CodingKey {
            case serial, certificate, chain, privateKey = "private_key", notAfter = "not_after"
        }
    }

    @Sendable func issue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: IssueRequest.self, context: context)
        guard (1...8760).contains(body.ttlHours) else {
            throw APIError(.unprocessableContent, code: "invalid_certificate_request", message: "ttl_hours must be between 1 and 8760")
        }
        let wanted = try CertificateRequest(commonName: body.commonName, sans: body.sans ?? [], ttl: .seconds(body.ttlHours * 3600))
        let issued = try await self.pki.ca().issue(wanted)
        try await self.audit.record(AuditEvent(
            action: "pki.issue", category: "pki", actor: .init(identity), target: .init(type: "certificate", id: issued.serial),
            details: ["common_name": wanted.commonName, "sans": wanted.sans.joined(separator: ","), "ttl_hours": String(body.ttlHours)],
            requestID: context.state.requestID), client: self.postgres, logger: self.logger)
        var response = try JSONResponse.encode(Issued(serial: issued.serial, certificate: issued.certificatePEM, chain: issued.chainPEM,
                                                      privateKey: issued.privateKeyPEM, notAfter: issued.notAfter), status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// What the CA issued, paged, the latest to expire first.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ListPage<CertificateInfo> {
        let page = try PageRequest(query: request.uri.queryParameters)
        let records = try await self.pki.ca().list()
        return page.page(records.map(CertificateInfo.init)) { PageRequest.newestFirst($0.notAfter, $0.serial) }
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> CertificateInfo {
        let identity = try context.requireIdentity()
        // Path parameters arrive as sent: `aa%3Abb` is the serial `aa:bb`.
        let raw = try context.parameters.require("serial")
        let serial = raw.removingPercentEncoding ?? raw
        guard serial.count <= 128, serial.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "-" }) else {
            throw APIError(.badRequest, code: "invalid_serial", message: "serial must be hexadecimal, optionally separated by colons")
        }
        let record = try await self.pki.ca().revoke(serial: serial)
        try await self.audit.record(AuditEvent(
            action: "pki.revoke", category: "pki", actor: .init(identity), target: .init(type: "certificate", id: record.serial),
            details: ["common_name": record.commonName], requestID: context.state.requestID), client: self.postgres, logger: self.logger)
        return CertificateInfo(record)
    }
}

/// An issued certificate as lists show it.
struct CertificateInfo: Codable, Sendable, ResponseEncodable {
    var serial: String
    var commonName: String
    var sans: [String]
    var notAfter: Date
    @NullWhenNil var revokedAt: Date?

    init(_ record: CertificateRecord) {
        self.serial = record.serial
        self.commonName = record.commonName
        self.sans = record.sans
        self.notAfter = record.notAfter
        self.revokedAt = record.revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case serial, sans, commonName = "common_name", notAfter = "not_after", revokedAt = "revoked_at"
    }
}

import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// `/api/v1/access/explain` and `/api/v1/access/who`: the authorizer answering for someone
/// else, with its reasons, for audits and off-boarding. Only whoever may audit the resource's
/// access asks (`can_audit_access`: admins, and the partner who owns it).
struct AccessController {
    let authorizer: Authorizer

    func addRoutes(to routes: AccessRoutes) {
        routes.get("access/explain", .entitlement(.canAuditAccess, on: .named), use: self.explain)
        routes.get("access/who", .entitlement(.canAuditAccess, on: .named), use: self.who)
    }

    /// `?user=<id, subject or e-mail>&entitlement=<name>&resource=<name>`.
    @Sendable func explain(_ request: Request, context: AppRequestContext) async throws -> AccessExplanation {
        let query = request.uri.queryParameters
        let resource = try AccessResource(naming: query.get("resource") ?? "")
        guard let name = query.get("entitlement"), let entitlement = Entitlement(rawValue: name) else {
            throw APIError(.badRequest, code: "invalid_entitlement",
                           message: "entitlement must be one of \(Entitlement.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let reference = query.get("user"), !reference.isEmpty, reference.count <= 320 else {
            throw APIError(.badRequest, code: "invalid_user", message: "user must be a user's id, subject or e-mail address")
        }
        guard let user = try await self.authorizer.relations.user(reference) else {
            throw APIError(.notFound, code: "not_found", message: "no active user '\(reference)'")
        }
        let decision = try await self.authorizer.decide(user, entitlement, on: resource)
        return AccessExplanation(userID: user.id, userName: user.name, role: user.role.rawValue, entitlement: entitlement.rawValue,
                                 resource: resource.name, allowed: decision.allowed, because: decision.because)
    }

    /// `?resource=<name>`: everyone holding any entitlement on it, with what and why.
    @Sendable func who(_ request: Request, context: AppRequestContext) async throws -> AccessHolders {
        let resource = try AccessResource(naming: request.uri.queryParameters.get("resource") ?? "")
        var holders: [AccessHolders.Holder] = []
        for user in try await self.authorizer.relations.candidates(for: resource) {
            let (held, because) = try await self.authorizer.held(by: user, on: resource)
            if !held.isEmpty {
                holders.append(.init(userID: user.id, userName: user.name, email: user.email, role: user.role.rawValue, entitlements: held, because: because))
            }
        }
        return AccessHolders(resource: resource.name, holders: holders)
    }
}

/// `GET /access/explain`: whether `user` holds `entitlement` on `resource`, and the facts that
/// decided it.
struct AccessExplanation: Codable, Sendable, ResponseEncodable {
    var userID: UUID
    var userName: String?
    var role: String
    var entitlement: String
    var resource: String
    var allowed: Bool
    var because: [String]

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", userName = "user_name", role, entitlement, resource, allowed, because
    }
}

/// `GET /access/who`: everyone with access to `resource`.
struct AccessHolders: Codable, Sendable, ResponseEncodable {
    var resource: String
    var holders: [Holder]

    struct Holder: Codable, Sendable {
        var userID: UUID
        var userName: String?
        var email: String?
        var role: String
        var entitlements: [String]
        var because: [String]

        enum CodingKeys: String, CodingKey {
            case userID = "user_id", userName = "user_name", email, role, entitlements, because
        }
    }
}

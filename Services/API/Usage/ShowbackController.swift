import Foundation
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// Showback: rates per organization (`/api/v1/organizations/<id>/rates`) or as a partner's
/// default for their organizations (`/api/v1/rates/default`), and the monthly statements they
/// price (`GET /api/v1/reports/showback?month=YYYY-MM`).
struct ShowbackController {
    let showback: ShowbackLedger
    let organizations: OrganizationStore

    func addRoutes(to routes: AccessRoutes) {
        routes.get("reports/showback", .signedIn, use: self.statements)
        routes.get("organizations/:id/rates", .entitlement(.canView, on: .organization), use: self.organizationRates)
        routes.put("organizations/:id/rates", .entitlement(.canEdit, on: .organization), use: self.setOrganizationRates)
        routes.get("rates/default", .entitlement(.canCreateOrganizations, on: .server), use: self.defaultRates)
        routes.put("rates/default", .entitlement(.canCreateOrganizations, on: .server), use: self.setDefaultRates)
    }

    /// `{"month", "statements": [...]}`, one statement per organization the caller sees usage of.
    @Sendable func statements(_ request: Request, context: AppRequestContext) async throws -> ShowbackAnswer {
        guard let month = request.uri.queryParameters.get("month") else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "The query parameter month is required: a month such as 2026-11.")
        }
        return ShowbackAnswer(month: month, statements: try await self.showback.statements(month: month, for: try context.requireIdentity()))
    }

    /// The rates in effect now (`{"rates": null}` when none are set, not even a default).
    @Sendable func organizationRates(_ request: Request, context: AppRequestContext) async throws -> RatesAnswer {
        // Admins pass the authorizer without a lookup: an unknown organization is a 404 here.
        let organization = try await self.organizations.get(try context.parameters.uuid("id")).id
        return RatesAnswer(rates: try await self.showback.rates.rates(of: organization, at: self.showback.usage.now()))
    }

    /// The body is `UsageRates`; they apply from now on (a closed month keeps its own).
    @Sendable func setOrganizationRates(_ request: Request, context: AppRequestContext) async throws -> RatesAnswer {
        let organization = try await self.organizations.get(try context.parameters.uuid("id")).id
        let rates = try await request.decode(as: UsageRates.self, context: context).validated()
        return RatesAnswer(rates: try await self.showback.rates.set(rates, organization: organization, owner: nil,
                                                                    at: self.showback.usage.now(), by: try context.requireIdentity(),
                                                                    requestID: context.state.requestID))
    }

    @Sendable func defaultRates(_ request: Request, context: AppRequestContext) async throws -> RatesAnswer {
        RatesAnswer(rates: try await self.showback.rates.defaultRates(of: try context.requireIdentity().id, at: self.showback.usage.now()))
    }

    /// The caller's default, for each of their organizations without rates of its own.
    @Sendable func setDefaultRates(_ request: Request, context: AppRequestContext) async throws -> RatesAnswer {
        let rates = try await request.decode(as: UsageRates.self, context: context).validated()
        let caller = try context.requireIdentity()
        return RatesAnswer(rates: try await self.showback.rates.set(rates, organization: nil, owner: caller.id, at: self.showback.usage.now(),
                                                                    by: caller, requestID: context.state.requestID))
    }
}

struct ShowbackAnswer: ResponseEncodable {
    var month: String
    var statements: [ShowbackStatement]
}

struct RatesAnswer: ResponseEncodable {
    var rates: UsageRates?

    enum CodingKeys: String, CodingKey { case rates }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.rates, forKey: .rates)
    }
}

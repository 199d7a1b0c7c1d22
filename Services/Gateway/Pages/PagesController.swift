import HTTPTypes
import Hummingbird
import OrcastraModels
import OrcastraRuntime

/// Server-rendered pages of the dashboard, all behind sign-in.
///
/// Pages are Mustache templates filled with plain values; the data a page shows after loading
/// comes through the gateway's own `/api/v1` proxy, so no token ever reaches the browser.
struct PagesController {
    let pages: PageRenderer
    let guardian: SessionGuard

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/", use: self.home)
        router.get("/account", use: self.account)
        router.get("/audit", use: self.audit)
    }

    /// Who you are (name, email, role), your navigation, and the platform's health.
    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("home", title: "Orcastra", request: request, context: context)
    }

    /// Your sessions and API keys.
    @Sendable func account(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("account", title: "Orcastra — account", request: request, context: context)
    }

    /// The audit trail and its integrity check (admins only).
    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("audit", title: "Orcastra — audit log", request: request, context: context, minimum: .admin)
    }

    /// Renders `template` for the signed-in user; signed out → sign-in with a way back here.
    func page(_ template: String, title: String, request: Request, context: AppRequestContext, minimum: Role = .tenant) async throws -> Response {
        guard let current = try await self.guardian.current(request, context: context) else {
            return Self.signInRedirect(for: request)
        }
        let user = current.session.identity
        guard user.role >= minimum else {
            return try self.pages.error(.forbidden, title: "Not for your role", message: "This page needs the \(minimum.title) role; you are \(user.role.title).")
        }
        return try self.pages.render(template, ["title": title], user: user).asResponse
    }

    /// `/login?return_to=<this path>`; `ReturnPath` checks it again when the sign-in completes.
    static func signInRedirect(for request: Request) -> Response {
        var path = request.uri.path
        if let query = request.uri.query, !query.isEmpty { path += "?" + query }
        let escaped = FormEncoding.escape(ReturnPath.safe(path))
        return Response.redirect(to: "/login?return_to=" + escaped, type: .found)
    }
}

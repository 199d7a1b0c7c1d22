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
        router.get("/clusters", use: self.clusters)
        router.get("/instances", use: self.instances)
        router.get("/instances/:cluster/:name", use: self.instance)
        router.get("/projects", use: self.projects)
        router.get("/users", use: self.users)
        router.get("/reports", use: self.reports)
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

    /// Registered clusters with their live status, and the register form (partners, admins).
    @Sendable func clusters(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("clusters", title: "Orcastra — clusters", request: request, context: context, minimum: .partner)
    }

    /// Instances across every cluster, per-cluster reachability, the create form.
    @Sendable func instances(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("instances", title: "Orcastra — instances", request: request, context: context)
    }

    /// Organizations (partners, admins), the projects the user may see with their quota use,
    /// and a project's members for whoever manages it.
    @Sendable func projects(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("projects", title: "Orcastra — projects", request: request, context: context)
    }

    /// Usage over a period (table, chart per day, CSV), monthly statements, and rates for
    /// partners and admins.
    @Sendable func reports(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("reports", title: "Orcastra — reports", request: request, context: context)
    }

    /// The people Orcastra knows (partners: their projects' members; admins: everyone).
    @Sendable func users(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await self.page("users", title: "Orcastra — users", request: request, context: context, minimum: .partner)
    }

    /// One instance: state, resources, actions, snapshots. The names only go into data
    /// attributes (Mustache escapes them); the script asks the API, which checks them.
    @Sendable func instance(_ request: Request, context: AppRequestContext) async throws -> Response {
        let cluster = try context.parameters.uuid("cluster")
        let name = try context.parameters.require("name")
        let project = request.uri.queryParameters.get("project") ?? "default"
        return try await self.page("instance", title: "Orcastra — \(name)", request: request, context: context, values: [
            "cluster_id": cluster.uuidString.lowercased(), "instance_name": name, "project": project,
        ])
    }

    /// Renders `template` for the signed-in user; signed out → sign-in with a way back here.
    func page(_ template: String, title: String, request: Request, context: AppRequestContext, minimum: Role = .tenant,
              values: [String: String] = [:]) async throws -> Response {
        guard let current = try await self.guardian.current(request, context: context) else {
            return Self.signInRedirect(for: request)
        }
        let user = current.session.identity
        guard user.role >= minimum else {
            return try self.pages.error(.forbidden, title: "Not for your role", message: "This page needs the \(minimum.title) role; you are \(user.role.title).")
        }
        var all: [String: Any] = values
        all["title"] = title
        return try self.pages.render(template, all, user: user).asResponse
    }

    /// `/login?return_to=<this path>`; `ReturnPath` checks it again when the sign-in completes.
    static func signInRedirect(for request: Request) -> Response {
        var path = request.uri.path
        if let query = request.uri.query, !query.isEmpty { path += "?" + query }
        let escaped = FormEncoding.escape(ReturnPath.safe(path))
        return Response.redirect(to: "/login?return_to=" + escaped, type: .found)
    }
}

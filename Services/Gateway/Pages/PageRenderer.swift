import HTTPTypes
import Hummingbird
import Mustache
import OrcastraModels
import OrcastraRuntime

/// Renders Mustache pages with the values every page shares (version, the signed-in user and
/// the navigation their role gets).
struct PageRenderer: Sendable {
    let templates: MustacheLibrary
    let version: String
    /// The CSP `form-action` sources (`GatewayConfig.formActions`).
    var formActions = "'self'"

    func render(_ template: String, _ values: [String: Any], user: Identity? = nil, status: HTTPResponse.Status = .ok) throws -> HTML {
        var values = values
        values["version"] = self.version
        if let user {
            values["user"] = ["name": user.name ?? user.subject, "email": user.email ?? "", "role": user.role.title, "roleKey": user.role.rawValue]
            values["nav"] = Self.navigation(for: user.role)
            // Partners and admins change clusters and instances; templates hide those controls
            // from tenants, whom the API would refuse anyway.
            values["canManage"] = user.role >= .partner
            values["isAdmin"] = user.role == .admin
        }
        guard let html = self.templates.render(values, withTemplate: template) else {
            throw APIError(.internalServerError, code: "template_missing", message: "The page template \(template) is missing.")
        }
        return HTML(html: html, status: status, formActions: self.formActions)
    }

    /// A page that explains a failure, with the status that goes with it.
    func error(_ status: HTTPResponse.Status, title: String, message: String) throws -> Response {
        try self.render("error", ["title": title, "message": message, "status": status.code], status: status).asResponse
    }

    /// What the top navigation offers: everyone has their home, instances, projects, reports
    /// and account; partners and admins their clusters and users; admins also the audit log.
    static func navigation(for role: Role) -> [[String: String]] {
        var items = [["href": "/", "label": "Home"]]
        if role >= .partner { items.append(["href": "/clusters", "label": "Clusters"]) }
        items.append(["href": "/instances", "label": "Instances"])
        items.append(["href": "/projects", "label": "Projects"])
        items.append(["href": "/reports", "label": "Reports"])
        if role >= .partner { items.append(["href": "/users", "label": "Users"]) }
        items.append(["href": "/account", "label": "Account"])
        if role == .admin { items.append(["href": "/audit", "label": "Audit log"]) }
        return items
    }
}

/// An HTML page response.
struct HTML: ResponseGenerator {
    let html: String
    var status: HTTPResponse.Status = .ok
    var formActions = "'self'"

    func response(from request: Request, context: some RequestContext) throws -> Response { self.asResponse }

    var asResponse: Response {
        Response(
            status: self.status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action \(self.formActions)",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: .init(string: self.html))
        )
    }
}

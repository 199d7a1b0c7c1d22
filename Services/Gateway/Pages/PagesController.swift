import HTTPTypes
import Hummingbird
import Mustache
import OrcastraRuntime

/// Server-rendered pages of the dashboard.
///
/// Pages are Mustache templates filled with plain values; nothing a page shows needs a token
/// in the browser, because data comes through the gateway's own `/api/v1` proxy.
struct PagesController {
    let templates: MustacheLibrary
    let version: String

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/", use: self.landing)
    }

    /// The landing page: what Orcastra is, and a live view of the platform's health.
    @Sendable func landing(_ request: Request, context: AppRequestContext) throws -> HTML {
        try self.render("landing", ["title": "Orcastra", "version": self.version])
    }

    func render(_ template: String, _ values: [String: Any]) throws -> HTML {
        guard let html = self.templates.render(values, withTemplate: template) else {
            throw APIError(.internalServerError, code: "template_missing", message: "The page template \(template) is missing.")
        }
        return HTML(html: html)
    }
}

/// An HTML page response.
struct HTML: ResponseGenerator {
    let html: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: .init(string: self.html))
        )
    }
}

import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// A complete HTML page of the provider: the sign-in form, its errors, the signed-out page.
///
/// Pages are never cached (they carry the authorization request), never framed (a framed
/// sign-in form is a clickjacking target), and their CSP allows nothing but the one inline
/// style sheet, by hash, and form posts to ourselves and to the registered clients.
struct HTMLPage: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var title: String
    /// Already escaped markup for the card's body.
    var body: String
    /// Origins the sign-in form may end up at: the browser checks `form-action` against the
    /// redirect that answers the POST too, so the clients' redirect origins must be listed.
    var formTargets: [String] = []

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let formAction = (["'self'"] + self.formTargets).joined(separator: " ")
        return Response(
            status: self.status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                HTTPField.Name("Pragma")!: "no-cache",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'none'; style-src '\(Self.styleHash)'; form-action \(formAction); frame-ancestors 'none'; base-uri 'none'",
                HTTPField.Name("X-Frame-Options")!: "DENY",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: .init(string: self.document))
        )
    }

    var document: String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLEscaping.escape(self.title)) · Orcastra development identity provider</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        <main class="card">
        <p class="brand">Orcastra development identity provider</p>
        <h1>\(HTMLEscaping.escape(self.title))</h1>
        \(self.body)
        <p class="note">For local runs and tests only: accounts come from the seed file, nothing is remembered between sign-ins.</p>
        </main>
        </body>
        </html>
        """
    }

    /// The page's only style sheet; its hash goes into the CSP, so it must stay byte-identical.
    static let style = """
        :root{color-scheme:light dark;--accent:#2b6cb0;--muted:#6b7280;--error:#b42318}\
        body{margin:0;min-height:100vh;display:grid;place-items:center;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f4f6;color:#111827}\
        .card{width:min(24rem,calc(100vw - 2rem));background:#fff;border-radius:12px;box-shadow:0 10px 30px rgb(0 0 0/.08);padding:2rem}\
        .brand{margin:0;color:var(--accent);font-weight:600;font-size:.85rem;letter-spacing:.04em;text-transform:uppercase}\
        h1{margin:.25rem 0 1.25rem;font-size:1.5rem}\
        label{display:block;margin:.75rem 0 .25rem;font-weight:500}\
        input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.6rem .7rem;border:1px solid #d1d5db;border-radius:8px;font:inherit}\
        button,.button{display:inline-block;margin-top:1.25rem;width:100%;padding:.65rem;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}\
        .error{margin:0 0 1rem;padding:.6rem .8rem;border-radius:8px;background:#fef3f2;color:var(--error)}\
        .client{color:var(--muted);margin:0 0 1rem}\
        .note{margin:1.5rem 0 0;color:var(--muted);font-size:.8rem}\
        code{overflow-wrap:anywhere}\
        @media (prefers-color-scheme:dark){body{background:#111827;color:#f9fafb}.card{background:#1f2937}input[type=text],input[type=password]{background:#111827;color:#f9fafb;border-color:#374151}.error{background:#3b1212;color:#fecaca}}
        """

    /// `sha256-…` of `style`, as CSP Level 2 expects it (standard base64 of the digest).
    static let styleHash = "sha256-" + Data(SHA256.hash(data: Array(style.utf8))).base64EncodedString()
}

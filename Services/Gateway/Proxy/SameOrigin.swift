import HTTPTypes
import Hummingbird

/// Where requests that change something may come from.
enum SameOrigin {
    /// A request that changes something (not `GET`/`HEAD`) is allowed only when its `Origin`,
    /// if the browser sent one, is `NEXTAUTH_URL`'s: SameSite=Lax does not stop a sibling
    /// subdomain or another port of this host. Used by the API proxy and by sign-out.
    static func allows(_ request: Request, publicOrigin: String) -> Bool {
        self.allows(request.method, origin: request.headers[.origin], publicOrigin: publicOrigin)
    }

    static func allows(_ method: HTTPRequest.Method, origin: String?, publicOrigin: String) -> Bool {
        if method == .get || method == .head { return true }
        guard let origin else { return true }
        return origin == publicOrigin
    }
}

import OrcastraModels

extension AuditActor {
    /// The caller of a request, as the authenticator established them.
    init(_ identity: Identity) {
        self.init(userID: identity.id.uuidString, userType: identity.authMethod == .apiKey ? .apiKey : .user,
                  role: identity.role.rawValue, sessionID: identity.sessionID?.uuidString, groups: identity.groups)
    }
}

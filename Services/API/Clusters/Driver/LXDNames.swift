import OrcastraRuntime

/// LXD's naming rules, checked before anything is sent so that the caller hears which rule a
/// name breaks rather than LXD's error, and so that no name can change an LXD URL path.
enum LXDNames {
    /// Instance names are host names: 1–63 letters, digits and '-', starting with a letter,
    /// not ending with '-'.
    static func instance(_ name: String) throws -> String {
        guard name.wholeMatch(of: /[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?/) != nil else {
            throw APIError(.unprocessableContent, code: "invalid_name",
                           message: "instance names are 1 to 63 letters, digits and '-', start with a letter and do not end with '-'")
        }
        return name
    }

    /// Names of clusters, snapshots, projects and profiles: 1–63 letters, digits, '.', '_' and
    /// '-', starting with a letter or digit (nothing that could change an LXD URL path).
    static func isObjectName(_ name: String) -> Bool {
        name.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]{0,62}/) != nil
    }

    /// Snapshot names follow the object-name rule.
    static func snapshot(_ name: String) throws -> String {
        guard isObjectName(name) else {
            throw APIError(.unprocessableContent, code: "invalid_snapshot_name",
                           message: "snapshot names are 1 to 63 letters, digits, '.', '_' and '-', starting with a letter or digit")
        }
        return name
    }

    /// The project a call names, `default` when none.
    static func project(_ name: String?) throws -> String {
        guard let name, !name.isEmpty else { return "default" }
        guard isObjectName(name) else {
            throw APIError(.badRequest, code: "invalid_project", message: "project names are 1 to 63 letters, digits, '.', '_' and '-'")
        }
        return name
    }
}

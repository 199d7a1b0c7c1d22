import AsyncHTTPClient
import Configuration
import Foundation
import Logging
import OrcastraModels
import OrcastraRuntime
import PostgresNIO

/// `orcastra-api register-cluster NAME < token`: registers an LXD/Incus server from a trust
/// token read on standard input, as the system (no owner: admins see it; privileged like an
/// admin, so the loopback test bed may be registered). `make run` uses it
/// for the demo clusters; it goes through the same `ClusterRegistration` as the API, audit
/// event included. Run it against a database the API has migrated.
enum RegisterClusterCommand {
    static let name = "register-cluster"

    static func run(arguments: [String], reader: ConfigReader) async throws {
        guard arguments.count == 1, let name = arguments.first else {
            Self.fail("usage: orcastra-api register-cluster NAME < trust-token")
        }
        let token = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let config: APIConfig
        do {
            config = try APIConfig(settings: Settings(reader: reader))
        } catch {
            Startup.fail(error)
        }
        let logger = Logger(label: "register-cluster")
        let postgres = PostgresClient(configuration: config.database.clientConfiguration())
        let cluster: Cluster
        do {
            cluster = try await postgres.whileRunning {
                let secrets = try SecretsService(backend: config.secrets, postgres: postgres, http: HTTPClient.shared, logger: logger)
                let pki = try PKIService(backend: config.secrets, postgres: postgres, http: HTTPClient.shared, logger: logger)
                try await pki.prepare()
                let clusters = ClusterService(
                    store: ClusterStore(client: postgres, logger: logger), connections: ClusterConnections(secrets: secrets, settings: config.clusters),
                    secrets: secrets, pki: pki, audit: AuditTrail(config: config.service, sink: .standardOutput, keys: AuditChainKeys(store: secrets.store)), logger: logger)
                return try await clusters.register(.init(name: name, description: "demo: an LXD server of the local test bed",
                                                         source: .token(try TrustToken(token)), owner: nil, actor: .system, requestID: nil,
                                                         privileged: true))
            }
        } catch {
            Self.fail("registering \(name) failed: \((error as? any APIErrorConvertible)?.apiError.message ?? "\(error)")")
        }
        print("registered cluster \(cluster.name) (\(cluster.endpoint)) as \(cluster.id.uuidString.lowercased())")
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        LogSink.standardOutput.flush()
        exit(1)
    }
}

import Configuration
import OrcastraRuntime

extension Settings {
    /// Settings backed by an in-memory map, as if these were the only variables set.
    public static func testing(_ values: [String: String]) -> Settings {
        var entries: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in values { entries[AbsoluteConfigKey([key])] = ConfigValue(.string(value), isSecret: false) }
        return Settings(reader: ConfigReader(provider: InMemoryProvider(values: entries)))
    }
}

import Foundation
import OrcastraModels
import OrcastraRuntime

/// What usage costs: a price per vCPU-hour, per GiB-hour of memory and per GiB-hour of root
/// disk, in one currency; with `running_only`, vCPU and memory are charged only while an
/// instance runs (disk is held either way).
struct UsageRates: Codable, Sendable, Equatable {
    var currency: String
    var vcpuHour: Decimal
    var memoryGiBHour: Decimal
    var diskGiBHour: Decimal
    var runningOnly: Bool
    /// Where the rates come from: `organization` or `default` (the owner's default). Set
    /// when rates are read; ignored in a request.
    var source: String?
    var effectiveFrom: Date?

    enum CodingKeys: String, CodingKey {
        case currency, source
        case vcpuHour = "vcpu_hour", memoryGiBHour = "memory_gib_hour", diskGiBHour = "disk_gib_hour"
        case runningOnly = "running_only", effectiveFrom = "effective_from"
    }

    init(currency: String, vcpuHour: Decimal, memoryGiBHour: Decimal, diskGiBHour: Decimal, runningOnly: Bool,
         source: String? = nil, effectiveFrom: Date? = nil) {
        (self.currency, self.vcpuHour, self.memoryGiBHour, self.diskGiBHour, self.runningOnly) = (currency, vcpuHour, memoryGiBHour, diskGiBHour, runningOnly)
        (self.source, self.effectiveFrom) = (source, effectiveFrom)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.currency = try c.decode(String.self, forKey: .currency)
        self.vcpuHour = try c.decode(Decimal.self, forKey: .vcpuHour)
        self.memoryGiBHour = try c.decode(Decimal.self, forKey: .memoryGiBHour)
        self.diskGiBHour = try c.decode(Decimal.self, forKey: .diskGiBHour)
        // Left out: false; present, it must be a boolean (null too is refused).
        self.runningOnly = c.contains(.runningOnly) ? try c.decode(Bool.self, forKey: .runningOnly) : false
        self.source = try c.decodeIfPresent(String.self, forKey: .source)
        self.effectiveFrom = try c.decodeIfPresent(Date.self, forKey: .effectiveFrom)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.currency, forKey: .currency)
        try c.encode(self.vcpuHour, forKey: .vcpuHour)
        try c.encode(self.memoryGiBHour, forKey: .memoryGiBHour)
        try c.encode(self.diskGiBHour, forKey: .diskGiBHour)
        try c.encode(self.runningOnly, forKey: .runningOnly)
        try c.encode(self.source, forKey: .source)
        try c.encode(self.effectiveFrom, forKey: .effectiveFrom)
    }

    /// The rates a request sets: a three-letter currency code and prices from 0 up to a
    /// million with at most six decimals.
    func validated() throws(APIError) -> UsageRates {
        guard self.currency.wholeMatch(of: /[A-Z]{3}/) != nil else {
            throw APIError(.unprocessableContent, code: "invalid_rates", message: "currency must be a three-letter ISO 4217 code such as EUR")
        }
        for (name, price) in [("vcpu_hour", self.vcpuHour), ("memory_gib_hour", self.memoryGiBHour), ("disk_gib_hour", self.diskGiBHour)] {
            guard price >= 0, price <= 1_000_000, !price.isNaN, Self.decimals(price) <= 6 else {
                throw APIError(.unprocessableContent, code: "invalid_rates", message: "\(name) must be a price from 0 to 1000000 with at most 6 decimals")
            }
        }
        return UsageRates(currency: self.currency, vcpuHour: self.vcpuHour, memoryGiBHour: self.memoryGiBHour, diskGiBHour: self.diskGiBHour,
                          runningOnly: self.runningOnly)
    }

    static func decimals(_ value: Decimal) -> Int {
        max(0, -Int(value.exponent))
    }
}

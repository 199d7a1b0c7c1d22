extension Duration {
    /// The duration in milliseconds, rounded to `places` decimals, as logs and health report it.
    public func milliseconds(places: Int) -> Double {
        let ms = Double(self.components.seconds) * 1000 + Double(self.components.attoseconds) / 1e15
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (ms * scale).rounded() / scale
    }
}

import Hummingbird
import OrcastraRuntime
import Testing

/// How a Redis failure is answered: "not now" replies are 503 like a Redis that is down;
/// other error replies are our bug or Redis' state, a 500.
@Suite("Redis errors as answers")
struct RedisErrorAnswerTests {
    @Test("a Redis loading its data after a restart, busy or failing over is 503 redis_unavailable", arguments: [
        "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "MASTERDOWN Link with MASTER is down", "TRYAGAIN Multiple keys request during rehashing of slot",
    ])
    func notNow(message: String) {
        let answer = RedisError.server(message).apiError
        #expect(answer.status == .serviceUnavailable)
        #expect(answer.code == "redis_unavailable")
    }

    @Test("any other error reply is 500 internal_error")
    func otherReplies() {
        #expect(RedisError.server("WRONGTYPE Operation against a key holding the wrong kind of value").apiError.status == .internalServerError)
        #expect(RedisError.connection("refused").apiError.status == .serviceUnavailable)
    }
}

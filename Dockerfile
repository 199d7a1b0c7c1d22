# Multi-stage build of both services. Build one with --target api or --target gateway.
# The compose file in compose/dashboard uses both targets.

FROM swift:6.2-bookworm AS build
WORKDIR /src
# Resolve dependencies first so that source changes reuse the layer.
COPY Package.swift ./
RUN swift package resolve
COPY Shared Shared
COPY Services Services
COPY Tests Tests
RUN swift build -c release --static-swift-stdlib --product orcastra-api \
 && swift build -c release --static-swift-stdlib --product orcastra-gateway \
 && mkdir -p /out \
 && cp "$(swift build -c release --show-bin-path)/orcastra-api" "$(swift build -c release --show-bin-path)/orcastra-gateway" /out/ \
 && cp -R "$(swift build -c release --show-bin-path)"/Orcastra_*.resources /out/

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app orcastra
WORKDIR /app
USER orcastra

FROM runtime AS api
COPY --from=build /out/orcastra-api /app/
COPY --from=build /out/Orcastra_OrcastraAPI.resources /app/Orcastra_OrcastraAPI.resources
EXPOSE 8765
HEALTHCHECK --interval=15s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8765/health || exit 1
ENTRYPOINT ["/app/orcastra-api"]

FROM runtime AS gateway
COPY --from=build /out/orcastra-gateway /app/
COPY --from=build /out/Orcastra_OrcastraGateway.resources /app/Orcastra_OrcastraGateway.resources
EXPOSE 4321
HEALTHCHECK --interval=15s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:4321/health || exit 1
ENTRYPOINT ["/app/orcastra-gateway"]

# The container image of one service (SERVICE=intake-svc | analysis-svc | dispatch-svc | ...):
# built in a full Debian 12 (bookworm) stage from Debian's own -dev packages (the same ones
# scripts/install-deps.sh installs), run in bookworm-slim with only the shared libraries the
# binary links. The migrations are compiled into the binary, so the image carries no SQL
# files; the same image runs the server, the migration Job (--migrate-only) and the purge
# CronJob (--purge). See k8s/<service>/. tzdata: "today" and order windows are calendar days
# in Europe/Amsterdam (--time-zone).
#
# Build from the repository root (the context is the whole repo, trimmed by .dockerignore):
#   docker build --build-arg SERVICE=dispatch-svc -t registry.cak.nl/voorlichting/dispatch-svc:0.1.0 .

############################################################################### build stage
FROM debian:bookworm AS build

ARG SERVICE
ARG DEBIAN_FRONTEND=noninteractive
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<name>-svc' >&2; exit 1; }
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
      golang-github-gogo-googleapis-dev \
      libabsl-dev libsoci-dev libboost-dev libpq-dev \
      prometheus-cpp-dev libjwt-dev libssl-dev nlohmann-json3-dev \
      libgtest-dev libgmock-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the service's target needs; the other services and the tests are not built
# (CAK_BUILD_TESTS=OFF; the top-level CMakeLists.txt adds only service folders that exist),
# so changing them does not invalidate this layer.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY protos/ protos/
COPY common/ common/
COPY ${SERVICE}/ ${SERVICE}/

# The executable is located by name rather than by path, so it does not matter whether
# the target sets RUNTIME_OUTPUT_DIRECTORY; exactly one must exist.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAK_BUILD_TESTS=OFF \
 && cmake --build /build --target "${SERVICE}" \
 && bin="$(find /build -type f -name "${SERVICE}" -perm -u+x)" \
 && [ -n "$bin" ] && [ "$(printf '%s\n' "$bin" | wc -l)" -eq 1 ] \
 && install -D -m 0755 "$bin" "/out/${SERVICE}" \
 && strip --strip-unneeded "/out/${SERVICE}"

############################################################################# runtime stage
FROM debian:bookworm-slim

ARG SERVICE
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries only (their own dependencies, e.g. libgrpc29, libjansson4, come along).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libsoci-core4.0 libsoci-postgresql4.0 libpq5 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libjwt0 libssl3 ca-certificates \
      tzdata \
 && rm -rf /var/lib/apt/lists/*

# Fixed numeric uid/gid 10001: the Kubernetes manifests pin runAsUser/runAsGroup 10001 and
# runAsNonRoot can only be verified against a numeric USER.
RUN groupadd --system --gid 10001 "${SERVICE}" \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "${SERVICE}"

# Installed under its own name; /usr/local/bin/service points at it, because an exec-form
# ENTRYPOINT cannot expand the build argument.
COPY --from=build /out/${SERVICE} /usr/local/bin/${SERVICE}
RUN ln -s "/usr/local/bin/${SERVICE}" /usr/local/bin/service

# Fail the image build, not the first pod start, if a linked library is missing above.
RUN out="$(ldd "/usr/local/bin/${SERVICE}")" \
 && if printf '%s\n' "$out" | grep -q 'not found'; then \
      printf '%s\n' "$out" >&2; echo 'missing runtime library' >&2; exit 1; \
    fi

LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="CAK Voorlichten klant (M7624): ${SERVICE}, gRPC" \
      org.opencontainers.image.vendor="CAK"

USER 10001:10001
# 50051 gRPC API (TLS/mTLS), 8081 plaintext grpc.health.v1 for kubelet probes,
# 9464 Prometheus /metrics.
EXPOSE 50051 8081 9464
ENTRYPOINT ["/usr/local/bin/service"]

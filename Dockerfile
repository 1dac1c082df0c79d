# The container images of the four services (SERVICE=intake-svc | analysis-svc | dispatch-svc |
# campaign-svc), from ONE compile: the build stage builds all four binaries in a full Debian 12
# (bookworm) from Debian's own -dev packages (the same ones scripts/install-deps.sh installs);
# it does not depend on SERVICE, so building the four images one after the other compiles once
# and reuses the cached stage. Each image is bookworm-slim with only the shared libraries the
# binaries link (a runtime-base stage, also shared) plus its own binary. The migrations are
# compiled into the binary, so the image carries no SQL files; the same image runs the server,
# the migration Job (--migrate-only) and the purge CronJob (--purge). See k8s/<service>/.
# tzdata: "today" and order windows are calendar days in Europe/Amsterdam (--time-zone).
#
# Build from the repository root (the context is the whole repo, trimmed by .dockerignore;
# .git is not in it, so the revision comes in as an argument):
#   for svc in intake-svc analysis-svc dispatch-svc campaign-svc; do
#     docker build --build-arg SERVICE=${svc} \
#       --build-arg VERSION=0.11.0 \
#       --build-arg REVISION="$(git rev-parse HEAD)" \
#       --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#       -t registry.cak.nl/voorlichting/${svc}:0.11.0 .
#   done
# scripts/deploy-local.sh builds them this way with Podman, from base images it makes itself.
#
# Build arguments (all but SERVICE have defaults; a release build passes VERSION, REVISION
# and CREATED):
#   SERVICE       the service whose image this is (required; the build stage ignores it)
#   VERSION       the suite's version: must be `project(... VERSION x.y.z)` of CMakeLists.txt,
#                 optionally with a pre-release/build suffix (0.11.0-rc1); the build fails
#                 otherwise, so the label, the image tag (use the same value) and what the
#                 binary reports (build_info, --version) agree. Default below: keep it in step.
#   REVISION      the git commit (`git rev-parse HEAD`); compiled into the binaries (CMake
#                 -DCAK_REVISION) and labelled. Default "unknown". Changing it recompiles.
#   SOURCE        where the source lives (org.opencontainers.image.source).
#   CREATED       build time, RFC 3339 (`date -u +%Y-%m-%dT%H:%M:%SZ`), or the commit's time
#                 for reproducible builds (`git log -1 --format=%cI`). Default "unknown".
#   BUILD_IMAGE   the Debian 12 image the build stage starts from (default debian:bookworm)
#   RUNTIME_IMAGE the Debian 12 image the runtime stages start from (default
#                 debian:bookworm-slim); both must be bookworm, whose package versions the
#                 runtime stage names. deploy-local passes an image made by mmdebstrap.
# VERSION, REVISION, SOURCE and CREATED end up as the OCI labels org.opencontainers.image.* at
# the end of the runtime stage, declared there so that changing them does not invalidate the
# cached layers before it; `docker inspect --format '{{json .Config.Labels}}' <image>` shows
# them.
ARG BUILD_IMAGE=docker.io/library/debian:bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
ARG VERSION=0.11.0
ARG REVISION=unknown
ARG SOURCE=https://git.cak.nl/voorlichting/voorlichten-klant
ARG CREATED=unknown

############################################################################### build stage
FROM ${BUILD_IMAGE} AS build

ARG DEBIAN_FRONTEND=noninteractive
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
# Only what the four services' targets need; the tools, tests and benchmarks are not built
# (CAK_BUILD_TESTS=OFF), so changing them does not invalidate this layer.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY protos/ protos/
COPY common/ common/
COPY intake-svc/ intake-svc/
COPY analysis-svc/ analysis-svc/
COPY dispatch-svc/ dispatch-svc/
COPY campaign-svc/ campaign-svc/

# The image is labelled with VERSION; it must be the version the binary is built as.
ARG VERSION
RUN project="$(sed -n 's/^project([^ ]* VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)" \
 && if [ -z "${project}" ]; then echo 'no project(... VERSION x.y.z) in CMakeLists.txt' >&2; exit 1; fi \
 && case "${VERSION}" in \
      "${project}" | "${project}"[-+]*) ;; \
      *) echo "VERSION=${VERSION} is not the suite's version ${project} (CMakeLists.txt)" >&2; exit 1 ;; \
    esac

# All four in one build (Ninja runs their compiles in parallel). Each executable is located
# by name rather than by path, so it does not matter whether a target sets
# RUNTIME_OUTPUT_DIRECTORY; exactly one of each must exist. The revision is compiled in
# (common/base/version.h: build_info, --version, the logbook's resource version).
ARG REVISION
RUN services="intake-svc analysis-svc dispatch-svc campaign-svc" \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAK_BUILD_TESTS=OFF \
      -DCAK_REVISION="${REVISION}" \
 && cmake --build /build --target ${services} \
 && for svc in ${services}; do \
      bin="$(find /build -type f -name "${svc}" -perm -u+x)" \
      && [ -n "$bin" ] && [ "$(printf '%s\n' "$bin" | wc -l)" -eq 1 ] \
      && install -D -m 0755 "$bin" "/out/${svc}" \
      && strip --strip-unneeded "/out/${svc}" || exit 1; \
    done

###################################################################### runtime base stage
# The same for the four images, so it is built once and shared by them.
FROM ${RUNTIME_IMAGE} AS runtime-base

ARG DEBIAN_FRONTEND=noninteractive
# Exactly the packages of the shared libraries the service binaries link (DT_NEEDED; their
# own dependencies, e.g. libgrpc29, libcivetweb1, come along): libgrpc++.so.1.51 and
# libgrpc++_reflection (libgrpc++1.51), libprotobuf.so.32, libabsl_*.so.20220623,
# libsoci_core/libsoci_postgresql, libpq.so.5, libprometheus-cpp-core/-pull, libcrypto.so.3
# (libssl3). Plus tzdata (the zone files --time-zone reads). Not libjwt0: libjwt only makes
# the development tokens of tests and tools (common/grpc/dev_tokens.cc); the servers verify
# tokens with OpenSSL and the linker (--as-needed, Debian's default) drops it. Not
# ca-certificates: every TLS peer (PostgreSQL sslrootcert, the logbook, the other services)
# is verified against a CA file mounted from a Secret, never the system store. Check with
#   objdump -p build/<svc>/<svc> | grep NEEDED   (then dpkg -S <library>)
# The ldd step below fails the build if a linked library is missing.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libsoci-core4.0 libsoci-postgresql4.0 libpq5 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libssl3 \
      tzdata \
 && rm -rf /var/lib/apt/lists/*

############################################################################# runtime stage
FROM runtime-base

ARG SERVICE
RUN case "${SERVICE}" in \
      intake-svc | analysis-svc | dispatch-svc | campaign-svc) ;; \
      *) echo "build with --build-arg SERVICE=<intake|analysis|dispatch|campaign>-svc (got '${SERVICE}')" >&2; exit 1 ;; \
    esac

# Fixed numeric uid/gid 10001: the Kubernetes manifests pin runAsUser/runAsGroup 10001 and
# runAsNonRoot can only be verified against a numeric USER.
RUN groupadd --system --gid 10001 "${SERVICE}" \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "${SERVICE}"

# Installed under its own name; /usr/local/bin/service points at it, because an exec-form
# ENTRYPOINT cannot expand the build argument.
COPY --from=build /out/${SERVICE} /usr/local/bin/${SERVICE}
RUN ln -s "/usr/local/bin/${SERVICE}" /usr/local/bin/service

# Fail the image build, not the first pod start, if a linked library or the time zone the
# manifests set (CAK_TIME_ZONE) is missing above.
RUN out="$(ldd "/usr/local/bin/${SERVICE}")" \
 && if printf '%s\n' "$out" | grep -q 'not found'; then \
      printf '%s\n' "$out" >&2; echo 'missing runtime library' >&2; exit 1; \
    fi \
 && test -f /usr/share/zoneinfo/Europe/Amsterdam

# OCI image annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md),
# from the build arguments at the top. Last, so that a new revision or time reuses every layer
# above.
ARG VERSION
ARG REVISION
ARG SOURCE
ARG CREATED
ARG RUNTIME_IMAGE
LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="CAK Voorlichten klant (M7624): ${SERVICE}, gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="LicenseRef-CAK-proprietary" \
      org.opencontainers.image.vendor="CAK" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"

USER 10001:10001
# 50051 gRPC API (TLS/mTLS), 8081 plaintext grpc.health.v1 for kubelet probes,
# 9464 Prometheus /metrics.
EXPOSE 50051 8081 9464
ENTRYPOINT ["/usr/local/bin/service"]

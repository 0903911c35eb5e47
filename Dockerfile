# sela-server in a container: built on Debian 12 with the same packages as
# scripts/install-deps.sh, run on Debian 12 slim as an unprivileged user.
#   docker build -t sela-server .
#   docker run -p 8082:8082 -e ADMIN_TOKEN=... -v sela-data:/app/data sela-server
# docker-compose.yml runs it beside Redis. tests/containers/check.py lints
# this file (scripts/test.sh runs it).

FROM debian:12-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libspdlog-dev libfmt-dev libssl-dev libsqlite3-dev libsodium-dev \
      libhiredis-dev \
      libgtest-dev libgmock-dev libbenchmark-dev libjemalloc2 \
      npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# blst's sources (src/chain) come from npm with a pinned SHA-512 integrity;
# the script does nothing when the build context already holds them.
COPY scripts/fetch-blst.sh scripts/
COPY third_party third_party
RUN bash scripts/fetch-blst.sh
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY src src
COPY tools tools
COPY tests tests
COPY bench bench
COPY web web
RUN cmake --preset release >/dev/null \
 && cmake --build --preset release --target sela-server sela-monitor \
 && strip build/release/src/app/sela-server build/release/tools/monitor/sela-monitor

FROM debian:12-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# The shared libraries of sela-server (check.py compares this list with ldd).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libspdlog1.10 libfmt9 libssl3 libsqlite3-0 libsodium23 libhiredis0.14 libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sela \
 && useradd --system --uid 10001 --gid sela --home-dir /app --no-create-home --shell /usr/sbin/nologin sela \
 && mkdir -p /app/data/redis \
 && chown -R sela:sela /app
COPY --from=build /src/build/release/src/app/sela-server /usr/local/bin/sela-server
COPY --from=build /src/build/release/tools/monitor/sela-monitor /usr/local/bin/sela-monitor
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=8082 \
    DATA_PATH=/app/data/redis \
    LOG_LEVEL=info
VOLUME ["/app/data"]
EXPOSE 8082
USER sela:sela
# Ready = serving and the store answers (GET /ready is 200); bash's /dev/tcp
# needs no HTTP client in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8082} && printf 'GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM drains (WebSockets get 1012, leases go back) within DRAIN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sela-server"]

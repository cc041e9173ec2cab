# syntax=docker/dockerfile:1
#
# evalroomd (the central service) and evalroomctl (administration) in one
# image. Build from the repository root:
#
#   docker build -f deploy/docker/evalroomd.Dockerfile -t evalroom/evalroomd .
#
# evalroomd imports no codec library (the SFU forwards packets, it never
# decodes), so both binaries are pure Go and link statically; the runtime
# stage needs no codec package and no ffmpeg. curl is there for the
# health check. Configuration: EVALROOM_* environment variables (README,
# "Configuration reference"); secrets never go into the image.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/evalroomd ./cmd/evalroomctl

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 evalroom \
 && useradd --system --uid 10001 --gid evalroom --home-dir /var/lib/evalroom --shell /usr/sbin/nologin evalroom \
 && install -d -o evalroom -g evalroom -m 0750 /var/lib/evalroom /var/lib/evalroom/archive
COPY --from=build /out/evalroomd /out/evalroomctl /usr/local/bin/
ENV EVALROOM_HTTP_ADDR=0.0.0.0:8080 \
    EVALROOM_MEDIA_UDP_ADDR=0.0.0.0:7882 \
    EVALROOM_LOG_FORMAT=json \
    EVALROOM_ARCHIVE_DIR=/var/lib/evalroom/archive
USER evalroom:evalroom
WORKDIR /var/lib/evalroom
VOLUME ["/var/lib/evalroom"]
# HTTP (API, panels, WHIP/WHEP signalling), media over UDP (one port, ICE
# UDP mux) and ICE over TCP when EVALROOM_MEDIA_TCP_ADDR is set.
EXPOSE 8080/tcp 7882/udp 7881/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/evalroomd"]

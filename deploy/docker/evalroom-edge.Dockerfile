# syntax=docker/dockerfile:1
#
# evalroom-edge (the room's recorder) and evalroomctl (recorder keygen).
# Build from the repository root:
#
#   docker build -f deploy/docker/evalroom-edge.Dockerfile -t evalroom/evalroom-edge .
#
# The recorder encodes with cgo: x264 (H.264) and libvpx (VP8) through
# pkg-config, and Opus from Debian's libopus (build tag "dynamic"; without
# it pion/mediadevices links its own bundled static libopus). Microphones
# are read through miniaudio, which loads ALSA's libasound at run time.
# No ffmpeg: the recorder writes fMP4 itself.
#
# On a room PC the systemd unit (deploy/systemd) is the usual way to run
# it; this image serves the compose demo and sites that run containers on
# the room PC (then pass the cameras with --device /dev/video0 and the
# host's video group id with --group-add).

FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libx264-dev libvpx-dev libopus-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -tags dynamic -ldflags="-s -w" -o /out/ ./cmd/evalroom-edge \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/evalroomctl

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl tzdata libx264-164 libvpx7 libopus0 libasound2 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10002 evalroom-edge \
 && useradd --system --uid 10002 --gid evalroom-edge --groups video,audio \
      --home-dir /var/lib/evalroom-edge --shell /usr/sbin/nologin evalroom-edge \
 && install -d -o evalroom-edge -g evalroom-edge -m 0750 /var/lib/evalroom-edge /var/lib/evalroom-edge/spool
COPY --from=build /out/evalroom-edge /out/evalroomctl /usr/local/bin/
ENV EVALROOM_EDGE_SPOOL=/var/lib/evalroom-edge/spool \
    EVALROOM_EDGE_HEALTH_ADDR=0.0.0.0:7880 \
    EVALROOM_EDGE_LOG_FORMAT=json
USER evalroom-edge:evalroom-edge
WORKDIR /var/lib/evalroom-edge
VOLUME ["/var/lib/evalroom-edge"]
# /healthz, /readyz and /status.
EXPOSE 7880/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:7880/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/evalroom-edge"]
CMD ["run"]

# Chatbot server image.
#   docker build -t chatbot:local .
#   docker run --rm -p 127.0.0.1:8000:8000 -e SECRET_KEY=... chatbot:local   # SQLite in /data
# docker-compose.yml runs it against PostgreSQL and Redis instead.
# Needs BuildKit (the default builder since Docker 23, always used by Compose v2) for the cache mount below.

FROM golang:1.26 AS build
WORKDIR /src
# GOTOOLCHAIN=local: never download another toolchain inside the build.
ENV GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
# Modules in their own layer: redone only when go.mod or go.sum change, not on every source edit.
COPY go.mod go.sum ./
COPY api/client/go.mod api/client/go.sum ./api/client/
RUN go mod download
COPY . .
# Pure Go (SQLite via modernc), so a static binary. Same flags as CI: they are part of the build cache key.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /chatbot ./cmd/chatbot
# Writable home for the default SQLite database (distroless has no shell to mkdir in the runtime stage).
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /chatbot /chatbot
COPY --from=build --chown=65532:65532 /out/data /data
# Listen on all interfaces inside the container; LOG_FILE empty = log to stdout only.
ENV ADDR=0.0.0.0:8000 \
    DATABASE_URL=sqlite:///data/app.db \
    LOG_FORMAT=json \
    LOG_FILE=
# nonroot = uid/gid 65532 in distroless images.
USER 65532:65532
EXPOSE 8000
# Distroless has no curl: the binary probes GET http://$ADDR/health itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/chatbot", "healthcheck"]
ENTRYPOINT ["/chatbot"]

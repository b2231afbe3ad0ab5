# sagefence container image for machines with a container engine:
#   docker build -t sagefence --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run --rm -v "$PWD:/src" sagefence scan . --format table
# CI builds the same image without an engine (make image, internal/image):
# a static binary, CA certificates, user 65532, entrypoint /sagefence.
FROM golang:1.26 AS build
WORKDIR /go/src/sagefence
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=
ARG DATE=
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/sagefence/sagefence/internal/cli.Version=${VERSION} -X github.com/sagefence/sagefence/internal/cli.Commit=${COMMIT} -X github.com/sagefence/sagefence/internal/cli.Date=${DATE}" \
      -o /out/sagefence ./cmd/sagefence

# distroless static: CA certificates, /etc/passwd with nonroot (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sagefence /sagefence
WORKDIR /src
USER 65532:65532
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/sagefence"]
CMD ["scan", "."]

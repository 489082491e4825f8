# vungmanh: one static binary on distroless. Build with
#   docker build --build-arg VERSION=$(git describe --tags --always) -t vungmanh .
# The policies are embedded in the binary (policies.FS); nothing else is copied.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/vungmanh/vungmanh/internal/app.Version=${VERSION}" -o /out/vungmanh ./cmd/vungmanh

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="vungmanh" \
      org.opencontainers.image.description="Compliance checker for the Vietnam Women's Union grassroots targets" \
      org.opencontainers.image.source="https://github.com/vungmanh/vungmanh"
COPY --from=build /out/vungmanh /vungmanh
USER 65532:65532
ENTRYPOINT ["/vungmanh"]
CMD ["--help"]

# Build: a full Rust toolchain; the result: only the binary and CA roots, as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto proto
COPY crates crates
COPY migrations migrations
COPY src src
# The image has no .git: the builder names the commit for pacer_link_build_info
# (docker build --build-arg PACER_LINK_BUILD_COMMIT=$(git rev-parse --short=12 HEAD)).
ARG PACER_LINK_BUILD_COMMIT=unknown
RUN cargo build --release --locked --bin pacer-link

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/pacer-link /usr/local/bin/pacer-link
USER nonroot:nonroot
EXPOSE 50051
ENTRYPOINT ["/usr/local/bin/pacer-link"]
CMD ["serve", "--listen", "0.0.0.0:50051"]

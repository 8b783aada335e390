# Tests only: a local stand-in for docker.io/library/docker:27-cli (no registry is reachable where
# Taskbound is tested). The docker CLI binary from Debian's docker.io package, without the engine
# it depends on; the action Dockerfile copies it with --build-arg DOCKER_CLI_PATH=/usr/bin/docker.
ARG BASE=taskbound/debian-base:bookworm
FROM ${BASE}
RUN apt-get update \
 && cd /tmp && apt-get download docker.io \
 && dpkg-deb --fsys-tarfile docker.io_*.deb | tar -x -C / ./usr/bin/docker \
 && rm -f docker.io_*.deb && rm -rf /var/lib/apt/lists/* \
 && /usr/bin/docker --version

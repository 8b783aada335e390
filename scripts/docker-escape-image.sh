#!/usr/bin/env bash
# Builds taskbound/escape-agent:bookworm-2 (or the tag given), the agent image of ContainerEscapeTest: the debootstrap
# base of scripts/docker-test-env.sh plus the clients the escape cases use (curl, openssl, socat) and git
# (ContainerHostEscapeTest's positive control).
# The build container uses --network host only so apt-get reaches the Debian mirror; the image's
# test containers get --network none / container:<id> from ContainerSandbox like any other.
#
# Idempotent: does nothing when the image exists. Needs a Docker engine and the base image
# (scripts/docker-test-env.sh; TASKBOUND_BASE_IMAGE names another, as there). Prints what it does and
# how long it took.
set -euo pipefail

BASE_IMAGE=${TASKBOUND_BASE_IMAGE:-taskbound/debian-base:bookworm}
IMAGE=${1:-taskbound/escape-agent:bookworm-2}
started=$SECONDS
say() { echo "docker-escape-image: $*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE exists"
  exit 0
fi
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 \
  || { say "ERROR: no $BASE_IMAGE; run scripts/docker-test-env.sh as root first"; exit 1; }

say "building $IMAGE from $BASE_IMAGE (apt-get install curl openssl socat git)"
docker build --quiet --network host --tag "$IMAGE" - >&2 <<DOCKERFILE
FROM $BASE_IMAGE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      curl openssl socat git ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*
DOCKERFILE
say "built $IMAGE in $((SECONDS - started)) s"

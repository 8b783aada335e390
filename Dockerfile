# The Taskbound GitHub Action image, built by the runner from this file with the repository root as
# the context (action.yml: 'image: Dockerfile'; the runner builds a Dockerfile action with the
# Dockerfile's own directory as the context and no build arguments). Releases push the result to
# GHCR and point action.yml at 'docker://ghcr.io/<owner>/taskbound-action:<version>' so jobs pull
# instead of build (docs/github-action.md).
#
# Every image is a public official image named with registry, repository and tag. Pin digests by
# appending '@sha256:...' to a default (docs/github-action.md, "Building the image"). The build
# arguments exist for builds without a registry (Taskbound's own tests use local images); the
# runner needs none.
ARG BUILD_IMAGE=docker.io/library/maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=docker.io/library/eclipse-temurin:17-jre
# The container backend drives the runner's daemon through the docker CLI: one static binary.
ARG DOCKER_CLI_IMAGE=docker.io/library/docker:27-cli
ARG DOCKER_CLI_PATH=/usr/local/bin/docker

FROM ${DOCKER_CLI_IMAGE} AS docker-cli

# Stage 1: the action's shaded jar, built from this checkout with the Maven wrapper.
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY . .
# PREBUILT_JAR (tests only): a context-relative jar Maven already built, for builds that cannot
# reach Maven Central. Empty (the default and what the runner uses) builds from source.
ARG PREBUILT_JAR=
RUN if [ -n "$PREBUILT_JAR" ]; then cp "$PREBUILT_JAR" /taskbound-action.jar; \
    else ./mvnw -B -ntp -Djenkins.skip -DskipTests -Dmaven.test.skip=true -pl shared-core,github-action -am package \
      && cp github-action/target/taskbound-action.jar /taskbound-action.jar; fi

# Stage 2: a JRE, the docker CLI and the jar; nothing else.
FROM ${RUNTIME_IMAGE}
ARG DOCKER_CLI_PATH
COPY --from=docker-cli ${DOCKER_CLI_PATH} /usr/local/bin/docker
COPY --from=build /taskbound-action.jar /opt/taskbound/taskbound-action.jar

# The post step is a separate container of this image, and the runner's post-entrypoint is a single
# executable without arguments. This file's first line makes the kernel run env, which starts Java
# with the jar, 'post' and this file's path, and passes the environment on untouched (a /bin/sh
# wrapper lost the runner's STATE_* variables whose names hold '-'). No shell is involved.
RUN printf '#!/usr/bin/env -S java -jar /opt/taskbound/taskbound-action.jar post\n' > /opt/taskbound/post \
 && chmod 0755 /opt/taskbound/post \
 && docker --version

ENTRYPOINT ["java", "-jar", "/opt/taskbound/taskbound-action.jar"]

# The Taskbound GitHub Action image, built by the runner from this file with the repository root as
# the context (action.yml: 'image: Dockerfile'; the runner builds a Dockerfile action with the
# Dockerfile's own directory as the context and no build arguments). Releases push the result to
# GHCR and point action.yml at 'docker://ghcr.io/<owner>/taskbound-action:<version>' so jobs pull
# instead of build (.github/workflows/release.yml, docs/github-action.md).
#
# Every image is a public official image named with registry, repository and tag. Pin digests by
# appending '@sha256:...' to a default (docs/github-action.md, "Building the image"). The build
# arguments exist for builds without a registry (Taskbound's own tests use local images); the
# runner needs none.
ARG BUILD_IMAGE=docker.io/library/maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
# The container backend drives the runner's daemon through the docker CLI: one static binary.
ARG DOCKER_CLI_IMAGE=docker.io/library/docker:27-cli
ARG DOCKER_CLI_PATH=/usr/local/bin/docker

FROM ${DOCKER_CLI_IMAGE} AS docker-cli

# Stage 1: the action's shaded jar, built from this checkout with the Maven wrapper, and a Java
# runtime cut down to the modules the jar uses (jdeps --print-module-deps of the shaded jar, plus
# jdk.crypto.ec for TLS to ECDSA hosts such as api.github.com, jdk.net for SO_PEERCRED, with which
# the sessions' control and approval sockets check each caller). The final stage gets neither Maven
# nor the JDK: the image went from 546 MB to under 250 MB (docs/github-action.md, bench/README.md).
# --strip-java-debug-attributes rather than --strip-debug, which also strips native symbols with
# objcopy (binutils), which JDK images need not have. -Xshare:dump writes the class-data sharing
# archive a JDK ships and a linked runtime lacks: each of the step's JVMs (the action, which runs the
# core, and the forwarder) starts faster with it. On top of it, an application archive (AppCDS, dynamic) of the
# classes a core command loads (picocli, SnakeYAML, Jackson, the policy code), dumped from the jar
# at the path the final stage has it; the linked runtime is told to use it (--add-options), so every
# JVM of the image does without a flag on its command line: the entrypoint, the post step, a child
# JVM of the core and the forwarder. An archive that does not match (another jar) is ignored
# silently (-Xlog:cds*=off: its warning would go to stdout, which the forwarder and the core use).
# The same options make every JVM of the image C1-only, as bin/taskbound's 'run' is: a step is short,
# and C2's compiler threads cost its start more than they give back (bench/README.md). A step whose
# inspecting gateway carries much TLS (C1 does AES-GCM at ~30 MB/s, C2 at ~700) can have C2 back
# with the step's env 'JDK_JAVA_OPTIONS: -XX:TieredStopAtLevel=4 -XX:CICompilerCount=2', which the
# JVM reads after these options (docs/github-action.md).
FROM ${BUILD_IMAGE} AS build
ARG JAVA_MODULES=java.base,java.desktop,java.net.http,java.rmi,java.sql,jdk.httpserver,jdk.net,jdk.unsupported,jdk.crypto.ec
WORKDIR /src
COPY . .
# PREBUILT_JAR (tests only): a context-relative jar Maven already built, for builds that cannot
# reach Maven Central. Empty (the default and what the runner uses) builds from source.
# Building from source needs a C compiler and a static C library for the native init the jar
# carries (scripts/build-native-init.sh): the container backend's agent container hands its own
# proxy port to the gateway with it, instead of a forwarder container and its JVM. The Maven image
# has neither, so they are installed in this stage only.
ARG PREBUILT_JAR=
RUN mkdir -p /opt/taskbound \
 && if [ -n "$PREBUILT_JAR" ]; then cp "$PREBUILT_JAR" /opt/taskbound/taskbound-action.jar; \
    else { command -v cc > /dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends gcc libc6-dev; }; } \
      && ./mvnw -B -ntp -Djenkins.skip -DskipTests -Dmaven.test.skip=true -pl shared-core,github-action -am package \
      && cp github-action/target/taskbound-action.jar /opt/taskbound/taskbound-action.jar; fi \
 && jlink --add-modules "$JAVA_MODULES" --strip-java-debug-attributes --no-man-pages --no-header-files --compress=2 \
      --add-options="-XX:SharedArchiveFile=/opt/taskbound/taskbound.jsa -Xlog:cds*=off -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1" --output /opt/java \
 && /opt/java/bin/java -XX:SharedArchiveFile=/opt/java/lib/server/classes.jsa -Xshare:dump -version \
 && printf 'apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n  sandbox: {backends: [container]}\n' > /tmp/cds.yml \
 && /opt/java/bin/java -XX:SharedArchiveFile=/opt/java/lib/server/classes.jsa \
      -XX:ArchiveClassesAtExit=/opt/taskbound/taskbound.jsa -cp /opt/taskbound/taskbound-action.jar \
      dev.taskbound.core.cli.Main policy explain /tmp/cds.yml > /dev/null

# Stage 2: a slim Debian, the linked runtime, the docker CLI and the jar; nothing else.
FROM ${RUNTIME_IMAGE}
ARG DOCKER_CLI_PATH
COPY --from=build /opt/java /opt/java
COPY --from=docker-cli ${DOCKER_CLI_PATH} /usr/local/bin/docker
# The jar and its archive together: the archive records the jar's size and time.
COPY --from=build /opt/taskbound /opt/taskbound
# On PATH too: the container backend starts its forwarder from this image with '--entrypoint java'.
ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The post step is a separate container of this image, and the runner's post-entrypoint is a single
# executable without arguments. This file's first line makes the kernel run env, which starts Java
# with the jar, 'post' and this file's path, and passes the environment on untouched (a /bin/sh
# wrapper lost the runner's STATE_* variables whose names hold '-'). No shell is involved.
RUN printf '#!/usr/bin/env -S /opt/java/bin/java -jar /opt/taskbound/taskbound-action.jar post\n' > /opt/taskbound/post \
 && chmod 0755 /opt/taskbound/post \
 && docker --version \
 && { java -Xshare:on -cp /opt/taskbound/taskbound-action.jar dev.taskbound.core.cli.Main --version > /dev/null \
      || echo "warning: the application class-data archive does not match the jar; JVMs start without it"; }

ENTRYPOINT ["/opt/java/bin/java", "-jar", "/opt/taskbound/taskbound-action.jar"]

# Tests only: a local stand-in for the build stage's JDK (docker.io/library/maven:3.9-eclipse-temurin-17;
# no registry is reachable where Taskbound is tested): the JDK that runs the tests, copied with its
# links resolved into the context as jdk/, on the Debian base. The action Dockerfile's build stage
# runs jlink with it (--build-arg BUILD_IMAGE=taskbound/jdk:17).
ARG BASE=taskbound/debian-base:bookworm
FROM ${BASE}
COPY jdk /opt/jdk
ENV PATH=/opt/jdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN jlink --version

package dev.taskbound.core.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The container Taskbound itself runs in, when it drives the Docker daemon from inside one (the
 * GitHub Action: a container action with the runner's Docker socket mounted). The daemon resolves
 * bind-mount sources on the <em>host</em>, so every path Taskbound hands to it must first go
 * through this container's own bind mounts; and the forwarder can run from this container's image,
 * which already holds Taskbound's classes.
 *
 * @param container the id or name it was inspected by
 * @param image the image id ({@code sha256:...}) the container runs
 * @param mounts its mounts that have a host path (binds and local volumes)
 */
public record ContainerSelf(String container, String image, List<Mount> mounts) {
  /** A host path mounted into the container: {@code source} on the host appears at {@code destination}. */
  public record Mount(Path source, Path destination) {
    public Mount {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(destination, "destination");
    }
  }

  private static final ObjectMapper JSON = Json.MAPPER;

  public ContainerSelf {
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(image, "image");
    // Longest destination first: /github/workspace/sub wins over /github/workspace.
    mounts = mounts.stream().sorted(Comparator.comparingInt((Mount m) -> m.destination().getNameCount()).reversed()).toList();
  }

  /**
   * Asks the daemon about {@code container}.
   *
   * @throws SandboxException if the daemon does not know it or its answer cannot be read
   */
  static ContainerSelf inspect(DockerCli docker, String container, Duration timeout) {
    return answered(docker.run(timeout, query(container)), container, docker.endpoint());
  }

  /** The {@code docker} arguments that ask the daemon about {@code container}. */
  static List<String> query(String container) {
    return List.of("container", "inspect", "--format", "{\"image\":{{json .Image}},\"mounts\":{{json .Mounts}}}", container);
  }

  /**
   * Reads the daemon's answer to {@link #query}.
   *
   * @throws SandboxException as {@link #inspect}
   */
  static ContainerSelf answered(DockerCli.Result r, String container, String endpoint) {
    if (!r.ok()) {
      throw new SandboxException("cannot inspect the container Taskbound runs in ('" + container + "', from"
          + " TASKBOUND_DOCKER_SELF or, when unset, /proc/self/mountinfo) at " + endpoint + ": " + r.oneLine()
          + "; accepted: TASKBOUND_DOCKER_SELF=<the id or name of this container on that daemon>, or"
          + " TASKBOUND_DOCKER_SELF=none when the daemon sees this container's paths unchanged");
    }
    return parse(container, r.output());
  }

  /** Reads the answer of {@code inspect}'s format: {@code {"image":"sha256:..","mounts":[{"Type":..,"Source":..,"Destination":..},..]}}. */
  static ContainerSelf parse(String container, String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new SandboxException("cannot read the Docker daemon's description of container '" + container + "': " + e.getMessage(), e);
    }
    String image = root.path("image").asText("");
    if (image.isEmpty()) {
      throw new SandboxException("the Docker daemon did not name the image of container '" + container + "'");
    }
    List<Mount> mounts = new ArrayList<>();
    for (JsonNode m : root.path("mounts")) {
      String type = m.path("Type").asText("");
      String source = m.path("Source").asText("");
      String destination = m.path("Destination").asText("");
      // tmpfs and named pipes have no host path the daemon could mount again
      if ((type.equals("bind") || type.equals("volume")) && source.startsWith("/") && destination.startsWith("/")) {
        mounts.add(new Mount(Path.of(source), Path.of(destination)));
      }
    }
    return new ContainerSelf(container, image, mounts);
  }

  /** The host path of {@code path} as this container sees it, if a mount covers it. */
  public Optional<Path> hostPath(Path path) {
    Path p = path.toAbsolutePath().normalize();
    for (Mount m : mounts) {
      if (p.startsWith(m.destination())) {
        return Optional.of(m.source().resolve(m.destination().relativize(p).toString()));
      }
    }
    return Optional.empty();
  }

  /**
   * The host path of {@code path}, for a bind mount of another container.
   *
   * @throws SandboxException naming the path and the mounts there are, if none covers it: the
   *     daemon could not mount it
   */
  Path requireHostPath(String what, Path path) {
    return hostPath(path).orElseThrow(() -> new SandboxException(
        "the " + what + " " + path + " is not on a mount of the container Taskbound runs in (" + container
            + "), so the Docker daemon cannot mount it into the sandbox's containers; accepted: paths under "
            + mounts.stream().map(m -> m.destination().toString()).toList()));
  }
}

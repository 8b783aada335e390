package dev.taskbound.core.sandbox;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Settings of the {@code container} backend. Immutable; build with {@link #builder(String)}.
 *
 * @param dockerBinary the {@code docker} CLI on this host
 * @param endpoint the daemon, as {@code docker -H} takes it ({@code unix:///var/run/docker.sock})
 * @param agentImage the image the agent runs in; it needs nothing of Taskbound's
 * @param forwarderImage an image with a Java 17+ runtime for the forwarder (Taskbound's own
 *     classes are mounted into it read-only)
 * @param forwarderJava the {@code java} command inside the forwarder image
 * @param forwarderCode the host path of Taskbound's classes (a jar or a class directory), mounted
 *     read-only into the forwarder container
 * @param forwarderPort the forwarder's port on the shared loopback ({@code HTTP_PROXY} points there)
 * @param labels extra labels put on both containers (e.g. the session id)
 * @param runningIn the id or name of the container Taskbound itself runs in, when it drives the
 *     daemon from inside one: paths are then translated through that container's mounts, and the
 *     forwarder runs from its image unless the classes are on a mount ({@link ContainerSelf})
 * @param runtime the OCI runtime of the agent container ({@code docker run --runtime}, for example
 *     gVisor's {@code runsc}); empty: the daemon's default. Preflight refuses one the daemon does not
 *     offer
 */
public record ContainerConfig(
    Path dockerBinary,
    String endpoint,
    String agentImage,
    String forwarderImage,
    String forwarderJava,
    Path forwarderCode,
    int forwarderPort,
    Map<String, String> labels,
    Optional<String> runningIn,
    Optional<String> runtime) {
  /** The daemon's usual socket. */
  public static final String DEFAULT_ENDPOINT = "unix:///var/run/docker.sock";
  /** The forwarder image that {@code scripts/docker-test-env.sh} builds. */
  public static final String DEFAULT_FORWARDER_IMAGE = "taskbound/forwarder:17";
  /** An unprivileged port; the network namespace is the sandbox's own, so nothing else uses it. */
  public static final int DEFAULT_FORWARDER_PORT = 3128;

  private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}");
  private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
  /** A runtime name as dockerd registers it; also keeps it from being read as a docker option. */
  static final Pattern RUNTIME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  public ContainerConfig {
    Objects.requireNonNull(dockerBinary, "dockerBinary");
    Objects.requireNonNull(endpoint, "endpoint");
    if (!endpoint.startsWith("unix://") && !endpoint.startsWith("tcp://") && !endpoint.startsWith("ssh://")) {
      throw new IllegalArgumentException("Docker endpoint must start with unix://, tcp:// or ssh://: " + endpoint);
    }
    requireImage("agentImage", agentImage);
    requireImage("forwarderImage", forwarderImage);
    Objects.requireNonNull(forwarderJava, "forwarderJava");
    Objects.requireNonNull(forwarderCode, "forwarderCode");
    if (forwarderPort < 1 || forwarderPort > 65535) {
      throw new IllegalArgumentException("forwarderPort out of range: " + forwarderPort);
    }
    labels = Map.copyOf(labels);
    Objects.requireNonNull(runningIn, "runningIn");
    runningIn.ifPresent(c -> {
      if (!c.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
        throw new IllegalArgumentException("not a container id or name: " + c);
      }
    });
    labels.forEach((k, v) -> {
      if (!LABEL_KEY.matcher(k).matches() || v.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("bad label " + k);
      }
    });
    Objects.requireNonNull(runtime, "runtime");
    runtime.ifPresent(ContainerConfig::requireRuntime);
  }

  private static void requireRuntime(String runtime) {
    if (!RUNTIME.matcher(runtime).matches()) {
      throw new IllegalArgumentException("not a container runtime name: " + runtime);
    }
  }

  private static void requireImage(String field, String image) {
    Objects.requireNonNull(image, field);
    if (!IMAGE.matcher(image).matches()) {
      // also keeps an image name from being read as a docker option
      throw new IllegalArgumentException(field + " is not an image reference: " + image);
    }
  }

  /** The daemon's Unix socket path, when the endpoint is a Unix socket. */
  public Optional<Path> socketPath() {
    return endpoint.startsWith("unix://") ? Optional.of(Path.of(endpoint.substring("unix://".length()))) : Optional.empty();
  }

  /**
   * A builder with the defaults: {@code docker} found on the system directories, the endpoint
   * {@value #DEFAULT_ENDPOINT}, the forwarder image {@value #DEFAULT_FORWARDER_IMAGE} with
   * {@code java} on its PATH, this JVM's own Taskbound classes, port {@value #DEFAULT_FORWARDER_PORT}.
   */
  public static Builder builder(String agentImage) {
    return new Builder(agentImage);
  }

  public Builder toBuilder() {
    Builder b = new Builder(agentImage);
    b.dockerBinary = dockerBinary;
    b.endpoint = endpoint;
    b.forwarderImage = forwarderImage;
    b.forwarderJava = forwarderJava;
    b.forwarderCode = forwarderCode;
    b.forwarderPort = forwarderPort;
    b.labels.putAll(labels);
    b.runningIn = runningIn.orElse(null);
    b.runtime = runtime.orElse(null);
    return b;
  }

  /** Builds a {@link ContainerConfig}; each setter rejects a bad value at once. Not thread-safe. */
  public static final class Builder {
    private final String agentImage;
    private Path dockerBinary;
    private String endpoint = DEFAULT_ENDPOINT;
    private String forwarderImage = DEFAULT_FORWARDER_IMAGE;
    private String forwarderJava = "java";
    private Path forwarderCode;
    private int forwarderPort = DEFAULT_FORWARDER_PORT;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private String runningIn;
    private String runtime;

    private Builder(String agentImage) {
      requireImage("agentImage", agentImage);
      this.agentImage = agentImage;
    }

    public Builder dockerBinary(Path path) {
      this.dockerBinary = Objects.requireNonNull(path, "dockerBinary");
      return this;
    }

    /**
     * The daemon endpoint. Read {@code DOCKER_HOST} at the host edge and pass it here; the
     * backend never reads the environment itself.
     */
    public Builder endpoint(String endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    public Builder forwarderImage(String image) {
      requireImage("forwarderImage", image);
      this.forwarderImage = image;
      return this;
    }

    public Builder forwarderJava(String java) {
      this.forwarderJava = Objects.requireNonNull(java, "forwarderJava");
      return this;
    }

    public Builder forwarderCode(Path code) {
      this.forwarderCode = Objects.requireNonNull(code, "forwarderCode");
      return this;
    }

    public Builder forwarderPort(int port) {
      this.forwarderPort = port;
      return this;
    }

    public Builder label(String key, String value) {
      labels.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Taskbound runs inside this container (its id or name on the same daemon); see {@link
     * ContainerSelf}. Read {@code TASKBOUND_DOCKER_SELF} at the host edge and pass it here.
     */
    public Builder runningIn(String container) {
      this.runningIn = Objects.requireNonNull(container, "container");
      return this;
    }

    /**
     * The agent container's OCI runtime ({@code runsc} for gVisor), as the policy names it in
     * {@code sandbox.container.runtime}; the default is the daemon's.
     *
     * @throws IllegalArgumentException if it is not a runtime name
     */
    public Builder runtime(String name) {
      requireRuntime(Objects.requireNonNull(name, "runtime"));
      this.runtime = name;
      return this;
    }

    public ContainerConfig build() {
      Path docker = dockerBinary != null ? dockerBinary : findDocker();
      Path code = forwarderCode != null ? forwarderCode : ownCode();
      return new ContainerConfig(docker, endpoint, agentImage, forwarderImage, forwarderJava, code, forwarderPort, labels,
          Optional.ofNullable(runningIn), Optional.ofNullable(runtime));
    }

    private static Path findDocker() {
      for (String dir : "/usr/local/bin:/usr/bin:/bin".split(File.pathSeparator)) {
        Path p = Path.of(dir, "docker");
        if (Files.isExecutable(p)) {
          return p;
        }
      }
      return Path.of("/usr/bin/docker"); // preflight names it as missing
    }

    /** Where this class was loaded from: the Taskbound jar, or the class directory in a build. */
    private static Path ownCode() {
      try {
        return Path.of(ContainerForwarder.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      } catch (URISyntaxException | RuntimeException e) {
        throw new IllegalStateException("cannot locate Taskbound's classes; set forwarderCode", e);
      }
    }
  }
}

package dev.taskbound.core.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.taskbound.core.policy.Protection;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the Docker daemon says about the confinement it can give ({@code docker info}): the OCI
 * runtimes it offers, its default runtime, its security options (seccomp, userns-remap).
 * Immutable.
 *
 * @param runtimes the runtime names the daemon offers ({@code --runtime} takes them), sorted
 * @param defaultRuntime the runtime used without {@code --runtime}
 * @param securityOptions the daemon's security options as it lists them ({@code name=seccomp,profile=default})
 */
record DaemonFacts(Set<String> runtimes, String defaultRuntime, List<String> securityOptions) {
  private static final String FORMAT = "{{json .Runtimes}}\n{{.DefaultRuntime}}\n{{json .SecurityOptions}}";

  DaemonFacts {
    runtimes = Set.copyOf(new TreeSet<>(runtimes));
    securityOptions = List.copyOf(securityOptions);
  }

  /**
   * Asks the daemon.
   *
   * @throws SandboxException if it does not answer, or answers in a shape not understood
   */
  static DaemonFacts query(DockerCli docker, Duration timeout) {
    return answered(docker.run(timeout, QUERY), docker.endpoint());
  }

  /** The {@code docker} arguments of the query. */
  static final List<String> QUERY = List.of("info", "--format", FORMAT);

  /**
   * Reads the daemon's answer to {@link #QUERY}.
   *
   * @throws SandboxException as {@link #query}
   */
  static DaemonFacts answered(DockerCli.Result r, String endpoint) {
    if (!r.ok()) {
      throw new SandboxException("cannot ask the Docker daemon at " + endpoint + " which runtimes and security"
          + " options it has: " + r.oneLine() + ". " + ContainerSandbox.OPTIONS);
    }
    return parse(r.output(), endpoint);
  }

  static DaemonFacts parse(String output, String endpoint) {
    String[] lines = output.strip().split("\n");
    try {
      if (lines.length != 3) {
        throw new IOException("expected 3 lines, got " + lines.length);
      }
      JsonMapper json = new JsonMapper();
      JsonNode runtimes = json.readTree(lines[0]);
      JsonNode options = json.readTree(lines[2]);
      if (!runtimes.isObject() || !(options.isArray() || options.isNull())) {
        throw new IOException("unexpected JSON");
      }
      Set<String> names = new TreeSet<>();
      runtimes.fieldNames().forEachRemaining(names::add);
      List<String> opts = new ArrayList<>();
      options.forEach(o -> opts.add(o.asText()));
      return new DaemonFacts(names, lines[1].strip(), opts);
    } catch (IOException e) {
      throw new SandboxException("the Docker daemon at " + endpoint + " answered 'docker info' in a form Taskbound does"
          + " not understand (" + e.getMessage() + "); accepted: Docker Engine 20.10 or later");
    }
  }

  /**
   * Refuses a daemon that would run the agent without its seccomp filter, and a runtime it does
   * not offer.
   *
   * @param runtime the runtime the policy names, if any
   * @throws SandboxException naming what is missing and the options
   */
  void requireFloor(java.util.Optional<String> runtime, String endpoint) {
    requireFloor(runtime, endpoint, Confinement.DEFAULT);
  }

  /**
   * As above, except that a daemon without seccomp is accepted when the launch may go without the
   * filter ({@code sandbox.confinement: reduced} within the Ceiling's {@code allowReduced: [seccomp]}).
   *
   * @return the protections this daemon leaves off: {@link Protection#SECCOMP} or nothing
   * @throws SandboxException naming what is missing and the options
   */
  List<Protection> requireFloor(java.util.Optional<String> runtime, String endpoint, Confinement confinement) {
    boolean filtered = seccomp();
    if (!filtered && !confinement.allowsWithout(Protection.SECCOMP)) {
      throw new SandboxException("the Docker daemon at " + endpoint + " runs containers without a seccomp filter"
          + " (security options: " + String.join(" ", securityOptions) + "); the agent container needs Docker's"
          + " default seccomp profile. Options: a daemon built with seccomp and started without"
          + " --seccomp-profile=unconfined, the netns backend, or, where the Ceiling allows it"
          + " (sandbox.allowReduced: [seccomp]), 'sandbox.confinement: reduced'");
    }
    runtime.ifPresent(r -> {
      if (!runtimes.contains(r)) {
        throw new SandboxException("the container runtime '" + r + "' (sandbox.container.runtime) is not offered by the"
            + " Docker daemon at " + endpoint + "; it offers: " + String.join(", ", runtimes) + ". Options: install the"
            + " runtime and register it with the daemon (gVisor: 'runsc install', then restart dockerd), or name one of"
            + " those");
      }
    });
    return filtered ? List.of() : List.of(Protection.SECCOMP);
  }

  /** Whether containers get a seccomp filter: the daemon has seccomp and its profile is not {@code unconfined}. */
  boolean seccomp() {
    boolean seccomp = securityOptions.stream().anyMatch(o -> o.startsWith("name=seccomp"));
    boolean unconfined = securityOptions.stream().anyMatch(o -> o.startsWith("name=seccomp") && o.contains("profile=unconfined"));
    return seccomp && !unconfined;
  }

  /** The runtime the agent container runs under. */
  String effectiveRuntime(java.util.Optional<String> runtime) {
    return runtime.orElse(defaultRuntime);
  }

  /** Whether the daemon maps container users to other host users ({@code userns-remap}). */
  boolean remapsUsers() {
    return securityOptions.stream().anyMatch(o -> o.startsWith("name=userns"));
  }
}

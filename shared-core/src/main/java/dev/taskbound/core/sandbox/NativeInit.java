package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The netns sandbox's native init ({@code shared-core/src/main/c/taskbound-init.c}, built by
 * {@code scripts/build-native-init.sh} into the jar): {@link SandboxInit}'s job and protocol in a
 * static executable that starts in a few milliseconds instead of a JVM's hundreds, and that makes
 * itself non-dumpable first, so the agent (the same uid) can neither read its memory through
 * {@code /proc/PID/mem} nor trace it nor take its descriptors.
 *
 * <p>It hands the agent's proxy port to the gateway and cannot forward, so it runs only where the
 * launcher offers the hand-off; elsewhere, on an architecture without a build, in a jar built
 * without a C compiler, or where the launch's private directory is mounted {@code noexec}, the
 * JVM's {@link SandboxInit} runs instead. Each launch gets its own copy of the executable in its
 * private directory (read-only inside the sandbox, removed once the agent has started). Immutable.
 */
final class NativeInit {
  /** What the evidence's {@code sandbox.started} says started the agent. */
  static final String NATIVE = "native";

  static final String JVM = "jvm";

  private final String architecture;
  private final byte[] executable;

  private NativeInit(String architecture, byte[] executable) {
    this.architecture = architecture;
    this.executable = executable;
  }

  /**
   * The executable the jar carries for {@code osArch}, or empty when it carries none (another
   * architecture, or built without a C compiler).
   *
   * @throws SandboxException if the resource exists but cannot be read
   */
  static Optional<NativeInit> bundled(String osArch) {
    String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> "";
    };
    if (arch.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream in = NativeInit.class.getResourceAsStream(resourceName(arch))) {
      return in == null ? Optional.empty() : Optional.of(new NativeInit(arch, in.readAllBytes()));
    } catch (IOException e) {
      throw new SandboxException("cannot read the sandbox's native init " + resourceName(arch) + " from the Taskbound jar: "
          + e.getMessage(), e);
    }
  }

  static String resourceName(String arch) {
    return "taskbound-init-" + arch;
  }

  String architecture() {
    return architecture;
  }

  /**
   * Writes the executable into {@code dir} (the launch's private directory), read-only and
   * executable for everyone (the agent's user runs it when Taskbound is root).
   *
   * @return its path, or empty when the file system there does not execute programs ({@code noexec})
   * @throws SandboxException if it cannot be written
   */
  Optional<Path> installIn(Path dir) {
    return installAs(dir.resolve("init"));
  }

  /**
   * As {@link #installIn}, at {@code file} (the container backend names one copy per launch beside
   * the gateway socket, whose directory the daemon can mount).
   */
  Optional<Path> installAs(Path file) {
    try {
      Files.write(file, executable);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r-xr-xr-x"));
    } catch (IOException e) {
      throw new SandboxException("cannot write the sandbox's native init to " + file + ": " + e.getMessage(), e);
    }
    // access(2) refuses X_OK on a noexec mount, for root too
    return Files.isExecutable(file) ? Optional.of(file) : Optional.empty();
  }

  /**
   * The command line of the netns sandbox's setup on the host, up to the command that follows it
   * (appended by the caller), in place of a setup shell: it opens each of {@code held} without
   * following a link and leaves it on descriptor {@link FilesystemView#HELD_FD_BASE} {@code + i},
   * writes its pid into each of {@code joinFiles} in order (the agent's cgroups, {@link
   * AgentLimits#joinFiles}), opens {@code profile} on descriptor 3 (bwrap's {@code --seccomp 3})
   * and executes what follows. It exits 121, naming the path, if a held path now leads through a
   * link or is gone, a cgroup refuses it or the profile cannot be opened.
   */
  static List<String> setupArgv(Path installed, List<Path> held, List<Path> joinFiles, Path profile) {
    List<String> a = new java.util.ArrayList<>(List.of(installed.toString(), "--hold", Integer.toString(held.size())));
    held.forEach(p -> a.add(p.toString()));
    joinFiles.forEach(f -> a.addAll(List.of("--join", f.toString())));
    a.addAll(List.of("--fd3", profile.toString(), "--"));
    return a;
  }

  /**
   * The agent container's command line ({@code taskbound-init.c}'s container mode): bind
   * {@code 127.0.0.1:port}, hand it to {@code handoff}, exec {@code command}.
   */
  static List<String> containerArgv(String installed, String handoff, int port, List<String> command) {
    List<String> argv = new java.util.ArrayList<>(List.of(installed, "--hand-off", handoff, String.valueOf(port)));
    argv.addAll(command);
    return argv;
  }

  /**
   * The command line that runs an installed copy with the control socket, binding the agent's
   * proxy port on {@code port} (0: any free one).
   */
  static List<String> argv(Path installed, Path control, int port) {
    return port == 0 ? List.of(installed.toString(), control.toString())
        : List.of(installed.toString(), control.toString(), Integer.toString(port));
  }
}

package dev.taskbound.core.sandbox;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How to start {@link SandboxInit}: a java binary, a class path and JVM flags chosen for a fast
 * start and a small footprint. Immutable.
 */
public record InitCommand(Path javaBinary, String classPath, List<String> jvmFlags) {
  /**
   * Flags that cut the JVM's start time (C1 only, serial GC, class data sharing, no perf file) and
   * open the JDK's channel internals to {@link ListenerHandoff}.
   */
  public static final List<String> FAST_START =
      List.of("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData", "-Xmx32m", "-XX:MaxDirectMemorySize=128m", "-Xss512k");

  public InitCommand {
    Objects.requireNonNull(javaBinary, "javaBinary");
    Objects.requireNonNull(classPath, "classPath");
    jvmFlags = List.copyOf(jvmFlags);
  }

  /**
   * The running JVM's own binary and class path, so the sandbox runs exactly this code. Class path
   * entries are made absolute: the sandbox starts in the agent's working directory.
   */
  public static InitCommand current() {
    Path java =
        ProcessHandle.current()
            .info()
            .command()
            .map(Path::of)
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(e -> !e.isEmpty())
            .map(e -> Path.of(e).toAbsolutePath().toString())
            .collect(Collectors.joining(File.pathSeparator));
    return new InitCommand(java, classPath, FAST_START);
  }

  /**
   * What the sandbox must show read-only for this command to run: the class path's entries and the
   * JDK the binary belongs to (either may sit under a directory the sandbox otherwise hides).
   */
  List<Path> hostPaths() {
    List<Path> out = new ArrayList<>();
    for (String e : classPath.split(File.pathSeparator)) {
      if (!e.isEmpty()) {
        out.add(Path.of(e).toAbsolutePath());
      }
    }
    try {
      Path real = javaBinary.toRealPath();
      out.add(real.getParent().getParent()); // JAVA_HOME: bin/java's grandparent
    } catch (java.io.IOException | NullPointerException e) {
      // a missing binary fails the start with its own message
    }
    return out;
  }

  /** The command line that runs {@link SandboxInit} with the given arguments. */
  List<String> argv(String... args) {
    List<String> out = new ArrayList<>();
    out.add(javaBinary.toString());
    out.addAll(jvmFlags);
    out.add("-cp");
    out.add(classPath);
    out.add(SandboxInit.class.getName());
    out.addAll(List.of(args));
    return out;
  }
}

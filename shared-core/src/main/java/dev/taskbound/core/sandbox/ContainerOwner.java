package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who made a container of the {@code container} backend, as the label {@value #LABEL} on it says,
 * so that a later start can remove the containers whose maker is gone (a Taskbound killed with
 * {@code SIGKILL} before its teardown ran; {@link ContainerSandbox#removeLeftovers()}), as
 * {@link LeftoverCgroups} does for the netns backend's cgroups.
 *
 * <p>Two forms. {@code container:<id or name>} when Taskbound runs inside a container on the same
 * daemon (the GitHub Action): the maker is gone when that container no longer runs. Otherwise
 * {@code pid:<boot id>:<pid namespace>:<pid>:<start in ms>}: the maker is gone when, on the same
 * boot and in the same PID namespace as the reader, no process has that pid with that start time.
 * A label from another boot or PID namespace (another machine or container sharing the daemon) is
 * never taken as gone: its owner cannot be checked from here. Immutable.
 *
 * @param value the label's value
 */
record ContainerOwner(String value) {
  /** The label on every container of the backend. */
  static final String LABEL = "dev.taskbound.owner";

  private static final String UNKNOWN = "unknown";

  ContainerOwner {
    Objects.requireNonNull(value, "value");
  }

  /**
   * This process as an owner: the container it runs in, else its own pid on this boot and in this
   * PID namespace.
   */
  static ContainerOwner current(Optional<String> runningIn, Path proc) {
    if (runningIn.isPresent()) {
      return new ContainerOwner("container:" + runningIn.get());
    }
    ProcessHandle self = ProcessHandle.current();
    long start = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    return new ContainerOwner("pid:" + bootId(proc) + ":" + pidNamespace(proc) + ":" + self.pid() + ":" + start);
  }

  /**
   * Whether the owner this label names is certainly gone, as seen from a reader on {@code proc}'s
   * boot and PID namespace.
   *
   * @param running the ids and names of the containers running on the daemon now
   */
  boolean isGone(Set<String> running, Path proc) {
    if (value.startsWith("container:")) {
      String c = value.substring("container:".length());
      return !c.isEmpty() && running.stream().noneMatch(r -> r.equals(c) || (c.length() >= 12 && r.startsWith(c)));
    }
    String[] f = value.split(":");
    if (f.length != 5 || !f[0].equals("pid") || f[1].equals(UNKNOWN) || f[2].equals(UNKNOWN)
        || !f[1].equals(bootId(proc)) || !f[2].equals(pidNamespace(proc))) {
      return false; // not ours to judge
    }
    try {
      long pid = Long.parseLong(f[3]);
      long start = Long.parseLong(f[4]);
      return ProcessHandle.of(pid)
          .map(p -> p.info().startInstant().map(Instant::toEpochMilli).orElse(start) != start)
          .orElse(true);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String bootId(Path proc) {
    try {
      return Files.readString(proc.resolve("sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      return UNKNOWN;
    }
  }

  /** The PID namespace's inode ({@code pid:[4026531836]} -> {@code 4026531836}). */
  private static String pidNamespace(Path proc) {
    try {
      return Files.readSymbolicLink(proc.resolve("self/ns/pid")).toString().replaceAll("[^0-9]", "");
    } catch (IOException | UnsupportedOperationException e) {
      return UNKNOWN;
    }
  }
}

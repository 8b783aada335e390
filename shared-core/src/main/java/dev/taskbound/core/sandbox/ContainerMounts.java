package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What of the host the agent container sees, as {@code --mount} flags: the workspace read-write,
 * the policy's {@code sandbox.paths.readWrite} and {@code readOnly} paths, the session's files the
 * agent's variables point at (read-only), each at its own path; then the hidden paths that lie
 * inside any of them covered (a directory by an empty tmpfs, a file by {@code /dev/null}). As in
 * the {@code netns} view, the most specific path wins (a policy file inside the workspace stays
 * read-only; Docker mounts parents before children), a path given twice takes its last mode
 * (read-only over read-write), and a hidden path wins over a path the policy shows. Paths that do
 * not exist are skipped, as the {@code netns} backend skips them. Refused (exit 121), before any
 * container exists: a policy path that is, contains or lies within the container engine's socket or
 * state, and a read-write one that is, contains or lies within Taskbound's own code or JDK (the
 * agent would change the next run's code). Immutable.
 */
final class ContainerMounts {
  private enum Kind { READ_WRITE, LOCK, READ_ONLY, EMPTY_DIR, EMPTY_DIR_TRAVERSABLE, EMPTY_FILE }

  private final Map<Path, Kind> mounts; // target (= host path) -> how, in the order decided
  private final List<String> hidden;

  private ContainerMounts(Map<Path, Kind> mounts, List<String> hidden) {
    this.mounts = mounts;
    this.hidden = hidden;
  }

  /**
   * @param workDir the workspace, absolute and normal
   * @param agentPaths the session's files the agent's variables point at
   * @param confinement the launch's read-only and read-write paths
   * @param hiddenPaths what the agent must not see
   * @param engine the container engine's sockets and state (empty when Taskbound itself runs in a
   *     container: its paths are then not the host's)
   * @param taskbound Taskbound's own code and JDK
   * @throws SandboxException naming the field, the path, what it meets and what is accepted
   */
  static ContainerMounts plan(Path workDir, List<Path> agentPaths, Confinement confinement, List<Path> hiddenPaths,
      List<Path> engine, List<Path> taskbound) {
    Map<Path, Kind> mounts = new LinkedHashMap<>();
    mounts.put(workDir, Kind.READ_WRITE);
    for (Path p : confinement.readWrite()) {
      Path abs = p.toAbsolutePath().normalize();
      refuseMeeting("sandbox.paths.readWrite", abs, engine, "the container engine's socket or state");
      refuseMeeting("sandbox.paths.readWrite", abs, taskbound, "Taskbound's own code or JDK, which stay read-only");
      refusePrivate("sandbox.paths.readWrite", abs);
      if (Files.exists(abs)) {
        mounts.put(abs, Kind.READ_WRITE);
      }
    }
    for (Path p : confinement.readOnly()) {
      Path abs = p.toAbsolutePath().normalize();
      refuseMeeting("sandbox.paths.readOnly", abs, engine, "the container engine's socket or state");
      refusePrivate("sandbox.paths.readOnly", abs);
      if (Files.exists(abs)) {
        mounts.remove(abs); // re-inserted last: read-only wins over an equal read-write path
        mounts.put(abs, Kind.READ_ONLY);
      }
    }
    for (Path p : agentPaths) {
      Path abs = p.toAbsolutePath().normalize();
      if (Files.exists(abs)) {
        mounts.remove(abs);
        mounts.put(abs, Kind.READ_ONLY);
      }
    }
    List<Path> shown = List.copyOf(mounts.keySet());
    List<String> covered = new ArrayList<>();
    for (Path h : hiddenPaths) {
      Path normal = h.toAbsolutePath().normalize();
      Path abs = shown.stream().anyMatch(normal::startsWith) ? normal : real(h); // as named, else through its links
      if (!Files.exists(abs) || shown.stream().noneMatch(abs::startsWith)) {
        continue; // outside everything mounted, nothing of the host is visible
      }
      if (abs.equals(workDir)) {
        throw new SandboxException("hidden path " + h + " is the workspace itself; the agent needs the workspace");
      }
      Kind cover = !Files.isDirectory(abs) ? Kind.EMPTY_FILE
          : shown.stream().anyMatch(s -> s.startsWith(abs) && !s.equals(abs)) ? Kind.EMPTY_DIR_TRAVERSABLE : Kind.EMPTY_DIR;
      mounts.remove(abs);
      mounts.put(abs, cover);
      covered.add(abs.toString());
    }
    List<Path> writableRoots = new ArrayList<>(confinement.readWrite());
    writableRoots.add(workDir);
    List<Path> readOnly = new ArrayList<>(confinement.readOnly());
    readOnly.addAll(agentPaths);
    for (Path lock : HiddenPathLocks.directoriesToLock(hiddenPaths, writableRoots, readOnly)) {
      mounts.putIfAbsent(lock, Kind.LOCK); // Docker mounts parents before children
    }
    return new ContainerMounts(mounts, List.copyOf(covered));
  }

  private static void refuseMeeting(String field, Path path, List<Path> guarded, String what) {
    for (Path g : guarded) {
      Path abs = g.toAbsolutePath().normalize();
      if (path.startsWith(abs) || abs.startsWith(path)) {
        throw new SandboxException(field + " " + path + " " + (path.startsWith(abs) ? "lies within" : "contains") + " "
            + abs + ", " + what + "; the container backend never mounts it for the agent. Accepted: a path that"
            + " neither contains nor lies within it");
      }
    }
  }

  /** The container's own {@code /tmp} and home are tmpfs of the floor: a host path cannot take their place. */
  private static void refusePrivate(String field, Path path) {
    for (String own : List.of("/tmp", ContainerFloor.HOME)) {
      if (path.equals(Path.of(own))) {
        throw new SandboxException(field + " " + path + " is the agent container's private " + own + " (a tmpfs of"
            + " its own); accepted: a path below it or elsewhere");
      }
    }
  }

  /** The path with symbolic links resolved as far as it exists (what the daemon mounts is the real file). */
  private static Path real(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    try {
      return abs.toRealPath();
    } catch (IOException e) {
      return abs;
    }
  }

  /**
   * The {@code --mount} flags.
   *
   * @param source a path as the daemon must name it ({@code what} names it in an error)
   * @param target a path checked for {@code --mount}'s syntax
   */
  List<String> args(BiFunction<String, Path, String> source, BiFunction<String, Path, String> target) {
    List<String> a = new ArrayList<>();
    for (Map.Entry<Path, Kind> m : mounts.entrySet()) {
      Path p = m.getKey();
      String spec = switch (m.getValue()) {
        case READ_WRITE -> "type=bind,source=" + source.apply("read-write path", p) + ",target=" + target.apply("read-write path", p);
        // the same directory bound onto itself, writable: a mount point, which the agent cannot rename (HiddenPathLocks)
        case LOCK -> "type=bind,source=" + source.apply("read-write path", p) + ",target=" + target.apply("read-write path", p);
        case READ_ONLY -> "type=bind,source=" + source.apply("read-only path", p) + ",target=" + target.apply("read-only path", p)
            + ",readonly";
        case EMPTY_DIR -> "type=tmpfs,target=" + target.apply("hidden path", p) + ",tmpfs-size=4096,tmpfs-mode=0";
        // holds a path bound back in: the agent must be able to walk through it
        case EMPTY_DIR_TRAVERSABLE -> "type=tmpfs,target=" + target.apply("hidden path", p) + ",tmpfs-size=4096,tmpfs-mode=0755";
        case EMPTY_FILE -> "type=bind,source=/dev/null,target=" + target.apply("hidden path", p) + ",readonly";
      };
      a.addAll(List.of("--mount", spec));
    }
    return a;
  }

  /** The paths the agent sees read-only, for the evidence. */
  List<String> readOnly() {
    return of(Kind.READ_ONLY);
  }

  /** The paths the agent may write (the workspace first), for the evidence. */
  List<String> readWrite() {
    return of(Kind.READ_WRITE);
  }

  /** The hidden paths covered inside what is mounted, for the evidence. */
  List<String> hidden() {
    return hidden;
  }

  private List<String> of(Kind kind) {
    return mounts.entrySet().stream().filter(e -> e.getValue() == kind).map(e -> e.getKey().toString()).toList();
  }
}

package dev.taskbound.core.sandbox;

import dev.taskbound.core.policy.SandboxLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the {@code netns} sandbox applies {@link SandboxLimits} to the agent: a cgroup of its own when
 * this process can make one (cgroup v2 where the parent already delegates the controllers, else
 * cgroup v1's {@code pids} and {@code memory} hierarchies; both need a writable cgroup file system,
 * in practice root), which the sandbox's setup joins before bwrap starts; otherwise {@code
 * RLIMIT_NPROC} through util-linux {@code prlimit} for pids (a per-user count, so the agent's other
 * processes on the host count too) and nothing for memory: {@code RLIMIT_AS} would stop JVMs, which
 * reserve far more address space than they use, so a memory limit without a cgroup fails closed.
 * Not thread-safe; one instance per launch.
 */
final class AgentLimits {
  private static final String SWAP_V1 = "memory.memsw.limit_in_bytes";
  private static final String SWAP_V2 = "memory.swap.max";

  /** A cgroup this class makes: {@code taskbound-<pid of the maker>-<hex>}. */
  private static final Pattern OURS = Pattern.compile("taskbound-([0-9]+)-[0-9a-f]+");

  private final SandboxLimits limits;
  private final Map<Path, Path> cgroups; // the cgroup made -> where the agent sees it
  private final String how;

  private AgentLimits(SandboxLimits limits, Map<Path, Path> cgroups, String how) {
    this.limits = limits;
    this.cgroups = Collections.unmodifiableMap(new LinkedHashMap<>(cgroups));
    this.how = how;
  }

  /**
   * Makes the cgroup for {@code limits}, or settles for an rlimit.
   *
   * @param cgroupRoot normally {@code /sys/fs/cgroup}
   * @param selfCgroup normally {@code /proc/self/cgroup}
   * @param name the new cgroup's directory name, unique to this launch
   * @throws SandboxException if a memory limit is asked for and no cgroup can be made
   */
  static AgentLimits apply(SandboxLimits limits, Path cgroupRoot, Path selfCgroup, String name) {
    Map<String, String> own = ownCgroups(selfCgroup);
    removeLeftovers(cgroupRoot, own, ProcessHandle.current().pid(), 1); // one try each: never delay the start
    if (limits.pids().isEmpty() && limits.memoryBytes().isEmpty()) {
      return new AgentLimits(limits, Map.of(), "none");
    }
    Optional<AgentLimits> made = v2(limits, cgroupRoot, own, name).or(() -> v1(limits, cgroupRoot, own, name));
    if (made.isPresent()) {
      return made.get();
    }
    if (limits.memoryBytes().isPresent()) {
      throw new SandboxException("sandbox.limits.memory " + limits.memoryText() + " cannot be applied: this process"
          + " cannot create a cgroup with the memory controller under " + cgroupRoot + " (no delegated cgroup v2"
          + " subtree, no writable cgroup v1 memory hierarchy), and RLIMIT_AS would stop the JVM. Options: run"
          + " taskbound as root on a host with a writable cgroup file system, drop sandbox.limits.memory, or use the"
          + " container backend");
    }
    return new AgentLimits(limits, Map.of(), "rlimit");
  }

  /**
   * Removes the empty cgroups that launches of processes now gone left where this process would make
   * its own (a launch killed with {@code SIGKILL} never ran its {@link #remove()}). A cgroup whose
   * maker still lives, that still holds a process or a child cgroup, or that is not named as this
   * class names them is left alone (the kernel refuses to remove a cgroup that holds a process). A
   * cgroup whose processes were killed just now may take the kernel a moment to empty: each is
   * retried for up to 2 s.
   *
   * @param cgroupRoot normally {@code /sys/fs/cgroup}
   * @param selfCgroup normally {@code /proc/self/cgroup}
   * @return the cgroups removed
   */
  static List<Path> removeLeftovers(Path cgroupRoot, Path selfCgroup) {
    return removeLeftovers(cgroupRoot, ownCgroups(selfCgroup), ProcessHandle.current().pid(), 200);
  }

  private static List<Path> removeLeftovers(Path cgroupRoot, Map<String, String> own, long self, int attempts) {
    Set<Path> parents = new LinkedHashSet<>();
    String v2 = own.get("");
    if (v2 != null && Files.isRegularFile(cgroupRoot.resolve("cgroup.controllers"))) {
      parents.add(under(cgroupRoot, v2));
    }
    for (String controller : List.of("pids", "memory")) {
      String path = own.get(controller);
      if (path != null && Files.isRegularFile(cgroupRoot.resolve(controller).resolve("cgroup.procs"))) {
        parents.add(under(cgroupRoot.resolve(controller), path));
      }
    }
    List<Path> removed = new ArrayList<>();
    for (Path parent : parents) {
      try (DirectoryStream<Path> children = Files.newDirectoryStream(parent, "taskbound-*")) {
        for (Path child : children) {
          Matcher m = OURS.matcher(child.getFileName().toString());
          if (m.matches() && Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS) && makerGone(m.group(1), self)
              && (attempts > 1 || holdsNoProcess(child)) && removeWhenEmptied(child, attempts)) {
            removed.add(child);
          }
        }
      } catch (IOException | RuntimeException e) {
        // unreadable or not ours to clean: the next start tries again
      }
    }
    return removed;
  }

  private static boolean makerGone(String pid, long self) {
    try {
      long p = Long.parseLong(pid);
      return p != self && ProcessHandle.of(p).isEmpty();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean holdsNoProcess(Path cgroup) {
    Path procs = cgroup.resolve("cgroup.procs");
    try {
      return !Files.exists(procs) || Files.readString(procs, StandardCharsets.US_ASCII).isBlank();
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code controller -> path} from {@code /proc/self/cgroup}; the v2 line under the key {@code ""}. */
  private static Map<String, String> ownCgroups(Path selfCgroup) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(selfCgroup)) {
        String[] f = line.split(":", 3);
        if (f.length == 3) {
          for (String controller : f[1].split(",")) {
            out.put(controller, f[2]);
          }
        }
      }
    } catch (IOException e) {
      // no cgroup information: neither version is tried
    }
    return out;
  }

  private static Optional<AgentLimits> v2(SandboxLimits limits, Path root, Map<String, String> own, String name) {
    String path = own.get("");
    if (path == null || !Files.isRegularFile(root.resolve("cgroup.controllers"))) {
      return Optional.empty();
    }
    Path parent = under(root, path);
    Map<Path, String> writes = new LinkedHashMap<>();
    Path dir = parent.resolve(name);
    limits.pids().ifPresent(p -> writes.put(dir.resolve("pids.max"), Integer.toString(p)));
    limits.memoryBytes().ifPresent(m -> writes.put(dir.resolve("memory.max"), Long.toString(m)));
    limits.memoryBytes().ifPresent(m -> writes.put(dir.resolve(SWAP_V2), "0")); // memory means memory, not swap
    try {
      List<String> delegated = List.of(Files.readString(parent.resolve("cgroup.subtree_control")).strip().split("\\s+"));
      if ((limits.pids().isPresent() && !delegated.contains("pids"))
          || (limits.memoryBytes().isPresent() && !delegated.contains("memory"))) {
        return Optional.empty();
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return make(limits, Map.of(dir, root), writes, "cgroup v2 " + dir);
  }

  private static Optional<AgentLimits> v1(SandboxLimits limits, Path root, Map<String, String> own, String name) {
    Map<Path, Path> dirs = new LinkedHashMap<>();
    Map<Path, String> writes = new LinkedHashMap<>();
    if (limits.pids().isPresent()) {
      Path dir = v1Dir(root, own, "pids", name);
      if (dir == null) {
        return Optional.empty();
      }
      dirs.put(dir, root.resolve("pids"));
      writes.put(dir.resolve("pids.max"), Integer.toString(limits.pids().getAsInt()));
    }
    if (limits.memoryBytes().isPresent()) {
      Path dir = v1Dir(root, own, "memory", name);
      if (dir == null) {
        return Optional.empty();
      }
      dirs.put(dir, root.resolve("memory"));
      writes.put(dir.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes().getAsLong()));
      writes.put(dir.resolve(SWAP_V1), Long.toString(limits.memoryBytes().getAsLong())); // memory + swap: no swap
    }
    return make(limits, dirs, writes, "cgroup v1 " + dirs.keySet().iterator().next().getParent().resolve(name));
  }

  private static Path v1Dir(Path root, Map<String, String> own, String controller, String name) {
    Path hierarchy = root.resolve(controller);
    String path = own.get(controller);
    if (path == null || !Files.isRegularFile(hierarchy.resolve("cgroup.procs"))) {
      return null;
    }
    return under(hierarchy, path).resolve(name);
  }

  private static Path under(Path hierarchy, String path) {
    String relative = path.replaceFirst("^/+", "");
    return relative.isEmpty() ? hierarchy : hierarchy.resolve(relative);
  }

  /** Creates the directories and writes the limits; on any failure removes what it made. */
  private static Optional<AgentLimits> make(SandboxLimits limits, Map<Path, Path> dirs, Map<Path, String> writes, String how) {
    Map<Path, Path> made = new LinkedHashMap<>();
    try {
      for (Map.Entry<Path, Path> dir : dirs.entrySet()) {
        Files.createDirectory(dir.getKey());
        made.put(dir.getKey(), dir.getValue());
      }
      for (Map.Entry<Path, String> w : writes.entrySet()) {
        String file = w.getKey().getFileName().toString();
        if ((file.equals(SWAP_V1) || file.equals(SWAP_V2)) && !Files.exists(w.getKey())) {
          continue; // a kernel without swap accounting has no such file, and then no swap to limit
        }
        Files.writeString(w.getKey(), w.getValue(), StandardCharsets.US_ASCII);
      }
      return Optional.of(new AgentLimits(limits, made, how));
    } catch (IOException | RuntimeException e) {
      new AgentLimits(limits, made, how).remove();
      return Optional.empty();
    }
  }

  /** The {@code cgroup.procs} files the setup writes its own pid to before it starts bwrap. */
  List<Path> joinFiles() {
    return cgroups.keySet().stream().map(d -> d.resolve("cgroup.procs")).toList();
  }

  /**
   * The agent's own cgroups and where it sees them: each at its hierarchy's mount point ({@code
   * /sys/fs/cgroup} for v2, {@code /sys/fs/cgroup/<controller>} for v1), as a container sees its
   * own, so that tools that size themselves by their cgroup (JVMs) find the limits; nothing else
   * of the host's cgroup tree ({@link FilesystemView}).
   */
  Map<Path, Path> views() {
    return cgroups;
  }

  /** {@code prlimit --nproc=N:N --} when pids are limited by rlimit; else nothing. */
  List<String> prlimit(String searchPath) {
    if (!how.equals("rlimit") || limits.pids().isEmpty()) {
      return List.of();
    }
    String n = Integer.toString(limits.pids().getAsInt());
    return List.of(SandboxTools.find(searchPath, "prlimit", "util-linux").toString(), "--nproc=" + n + ":" + n, "--");
  }

  /** The evidence's {@code limits}: the values and how they are applied. */
  Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pids", limits.pids().isPresent() ? (Object) limits.pids().getAsInt() : "none");
    out.put("memory", limits.memoryText());
    out.put("applied_by", how.equals("rlimit") ? "RLIMIT_NPROC (per user; no cgroup available)" : how);
    return out;
  }

  /**
   * Removes the cgroups once their processes are gone: the sandbox's PID namespace ends with its
   * init, and the kernel takes a moment to empty the cgroup, so this waits for that, bounded (2 s).
   */
  void remove() {
    for (Path dir : cgroups.keySet()) {
      removeWhenEmptied(dir, 200); // one that stays is a leftover the next start removes
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  /** rmdir, retried while the kernel still counts an exited process (10 ms apart); false if it stays or on interrupt. */
  private static boolean removeWhenEmptied(Path dir, int attempts) {
    for (int attempt = 0; attempt < attempts; attempt++) {
      try {
        Files.deleteIfExists(dir);
        return true;
      } catch (IOException e) {
        if (attempt == attempts - 1) {
          break;
        }
        try {
          TimeUnit.MILLISECONDS.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return !Files.exists(dir);
  }
}

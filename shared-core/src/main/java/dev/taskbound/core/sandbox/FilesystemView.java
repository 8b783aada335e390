package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's view of the host's files in the {@code netns} sandbox, built from an allow-list as
 * {@code bwrap} arguments: the host's top-level directories read-only (never its {@code /proc},
 * {@code /dev} or {@code /tmp}; of {@code /sys} only {@link #SYS_SHOWN}); an empty tmpfs over the places that hold
 * other users' and daemons' secrets and sockets; a private {@code /tmp}; a minimal {@code /dev};
 * a fresh {@code /proc}; then the workspace, the extra writable and the read-only paths, the most
 * specific path winning (a policy file or the Taskbound jar inside the workspace stays read-only),
 * then an empty {@code /sys/fs/cgroup} holding only the agent's own cgroups, then the hidden paths
 * on top of everything. Immutable once built.
 */
final class FilesystemView {
  /** The agent's fresh home inside the sandbox (on the private tmpfs over {@code /home}). */
  static final Path AGENT_HOME = Path.of("/home/agent");

  /**
   * Covered by an empty tmpfs: other users' homes, runtime sockets, container engines' state, the
   * host's logs, and daemons' state that holds their sockets outside {@code /run} (LXD, Incus, snaps
   * such as MicroK8s and Multipass, kubelet, k3s, libvirt, MySQL, Postfix): a read-only bind does not stop a {@code connect()}, and
   * a daemon behind a socket acts with its own privileges and network. Those the host lacks are skipped.
   */
  static final List<Path> EMPTY = List.of(Path.of("/root"), Path.of("/home"), Path.of("/run"), Path.of("/var/run"),
      Path.of("/var/tmp"), Path.of("/var/log"), Path.of("/var/lib/docker"), Path.of("/var/lib/containerd"),
      Path.of("/var/lib/containers"), Path.of("/var/lib/jenkins"), Path.of("/var/lib/lxd"), Path.of("/var/snap"),
      Path.of("/var/lib/incus"), Path.of("/var/lib/kubelet"), Path.of("/var/lib/rancher"), Path.of("/var/lib/libvirt"),
      Path.of("/var/lib/mysql"), Path.of("/var/spool/postfix"));

  /** What the view mounts itself, empty or its own, whatever the host has there. */
  private static final List<Path> OWN_EMPTY = List.of(Path.of("/tmp"), Path.of("/proc"), Path.of("/dev"));

  /** Where cgroup hierarchies are mounted: inside, only the agent's own cgroups. */
  static final String CGROUP_FS = "/sys/fs/cgroup";

  /**
   * What of the host's {@code /sys} the agent sees, read-only, on an otherwise empty tmpfs: the CPUs
   * ({@code nproc --all}, glibc's {@code get_nprocs}), the NUMA nodes, and the transparent huge
   * page settings a JVM reads; the cgroups are {@link #CGROUP_FS}'s own. Not the host's devices,
   * block devices, network interfaces ({@code /sys/class/net} would list the host's, not the
   * sandbox's), firmware or kernel parameters.
   */
  static final List<String> SYS_SHOWN =
      List.of("sys/devices/system/cpu", "sys/devices/system/node", "sys/kernel/mm/transparent_hugepage");

  /** Top-level entries that are never bound from the host: each has its own mount below. */
  private static final Set<String> OWN_MOUNTS = Set.of("proc", "dev", "tmp", "run", "root", "home", "sys", "lost+found");

  private final List<String> args = new ArrayList<>();
  private final List<String> readOnly = new ArrayList<>();
  private final List<String> readWrite = new ArrayList<>();
  private final List<String> hidden = new ArrayList<>();
  /** A writable directory bound onto itself only so that it is a mount point, which cannot be renamed ({@link HiddenPathLocks}). */
  private static final String LOCK = "lock";
  /** The first descriptor of {@link #held()}; the native init's {@code HOLD_BASE}. */
  static final int HELD_FD_BASE = 20;

  private final Set<Path> holdable = new java.util.HashSet<>();
  private final List<Path> held = new ArrayList<>();
  private boolean holdLocks;
  /** Directories bound onto themselves so that a hidden path inside keeps its place. */
  private final List<String> locked = new ArrayList<>();
  private final Set<Path> made = new java.util.HashSet<>();
  private final Set<Path> privateRoots = new java.util.HashSet<>();
  /** {@link #emptied()}, resolved once for the view. */
  private List<Path> emptied = List.of();
  /** Top-level directories rebuilt to hold a placed path the host lacks. */
  private final Set<String> rebuilt = new java.util.HashSet<>();

  /**
   * @param hostRoot normally {@code /}; the top-level entries bound read-only
   * @param workspace the agent's working directory, writable
   * @param writable further writable paths (missing ones skipped)
   * @param readOnlyPaths paths bound read-only over everything before (missing ones skipped)
   * @param hiddenPaths covered last: a directory by an empty read-only tmpfs, a file by
   *     {@code emptyFile} (missing ones skipped)
   * @param emptyFile an empty host file (not {@code /dev/null}: a bound device node cannot be
   *     opened on bwrap's {@code nodev} mounts, and the agent must read the covered file as empty)
   */
  static FilesystemView build(Path hostRoot, Path workspace, List<Path> writable, List<Path> readOnlyPaths, List<Path> hiddenPaths,
      Path emptyFile) {
    return build(hostRoot, workspace, writable, readOnlyPaths, hiddenPaths, emptyFile, Map.of(), Map.of());
  }

  /**
   * As above, with the agent's own cgroups shown at their hierarchies' mount points ({@link
   * AgentLimits#views()}): the host's cgroup tree, which names every cgroup on the host (other
   * sessions', containers') and lists host pids in their {@code cgroup.procs}, is otherwise covered
   * by an empty read-only tmpfs. And with {@code placed} host directories shown read-only at other
   * paths (sandbox path to host path, {@code SandboxLaunch.placed}). A placed path the host lacks
   * needs a mount point: its top-level directory ({@code /etc}) is then rebuilt as a read-only tmpfs
   * holding a bind of each of the host's entries, since bwrap cannot create a directory in a
   * read-only bind.
   *
   * @param cgroups a cgroup directory of the host -> where the agent sees it, under {@value #CGROUP_FS}
   * @param placed a path inside the sandbox -> the host directory shown there read-only
   */
  static FilesystemView build(Path hostRoot, Path workspace, List<Path> writable, List<Path> readOnlyPaths, List<Path> hiddenPaths,
      Path emptyFile, Map<Path, Path> cgroups, Map<Path, Path> placed) {
    return build(hostRoot, workspace, writable, readOnlyPaths, hiddenPaths, emptyFile, cgroups, placed, Optional.empty());
  }

  /**
   * As above, with each of {@code heldSources} that the view binds (and each directory it binds onto
   * itself to keep a hidden path in place) bound from a descriptor ({@code --bind-fd},
   * {@code --ro-bind-fd}) rather than by name: {@link #held()} lists them in the order of their
   * descriptors, {@value #HELD_FD_BASE} onwards, which the launcher must open, without following a
   * link, before bwrap starts (the native init's {@code --hold}). bwrap then mounts the object that
   * was checked, whatever is renamed or linked in its place meanwhile (by the agent of a concurrent
   * {@code session exec}); a name path would be resolved again when bwrap mounts it.
   *
   * @param heldSources the paths to bind by descriptor (the policy's, which may lie where the agent
   *     writes); empty: every path by name
   */
  static FilesystemView build(Path hostRoot, Path workspace, List<Path> writable, List<Path> readOnlyPaths, List<Path> hiddenPaths,
      Path emptyFile, Map<Path, Path> cgroups, Map<Path, Path> placed, Optional<Set<Path>> heldSources) {
    FilesystemView v = new FilesystemView();
    heldSources.ifPresent(h -> h.forEach(p -> v.holdable.add(p.toAbsolutePath().normalize())));
    v.holdLocks = heldSources.isPresent();
    Set<String> rebuilt = new java.util.TreeSet<>();
    for (Path inside : placed.keySet()) {
      if (!Files.exists(hostRoot.resolve(Path.of("/").relativize(inside)), LinkOption.NOFOLLOW_LINKS)) {
        rebuilt.add(inside.getName(0).toString());
      }
    }
    v.rebuilt.addAll(rebuilt);
    v.hostRoot(hostRoot);
    for (String top : rebuilt) {
      v.rebuildTopLevel(hostRoot, top);
    }
    // bwrap's /dev/shm is a plain directory of its /dev, which only the namespace's root may write:
    // a private shared-memory tmpfs the agent can use (shm_open, Python's multiprocessing, browsers)
    v.args.addAll(List.of("--dev", "/dev", "--perms", "01777", "--tmpfs", "/dev/shm", "--proc", "/proc", "--perms", "01777",
        "--tmpfs", "/tmp"));
    v.sys(hostRoot);
    v.emptied = emptied();
    for (Path p : v.emptied) {
      v.args.addAll(List.of("--perms", "0755", "--tmpfs", p.toString()));
      v.hidden.add(p.toString());
      v.privateRoots.add(p); // what is bound back inside gets its parents made traversable
    }
    List<Path> shown = new ArrayList<>();
    shown.add(workspace.toAbsolutePath().normalize());
    writable.forEach(p -> shown.add(p.toAbsolutePath().normalize()));
    readOnlyPaths.forEach(p -> shown.add(p.toAbsolutePath().normalize()));
    // Mounts in order of depth, the most specific path winning: a read-only file inside the
    // workspace stays read-only, a workspace inside a read-only directory stays writable, and a
    // hidden directory that holds something shown (a runtime root holding this session's socket,
    // a home holding the workspace) is emptied before what it holds is bound back.
    List<Map.Entry<String, Path>> mounts = new ArrayList<>();
    List<Path> hiddenLast = new ArrayList<>();
    for (Path p : hiddenPaths) {
      Path abs = real(p);
      if (abs.getNameCount() == 0) {
        continue; // never the whole host: the allow-list already decides what of / is seen
      }
      boolean holdsShown = shown.stream().anyMatch(x -> x.startsWith(abs) && !x.equals(abs));
      if (holdsShown && v.alreadyInvisible(abs, shown)) {
        v.hidden.add(abs.toString()); // already empty inside; what it holds is bound back below
      } else if (holdsShown && Files.isDirectory(abs)) {
        mounts.add(Map.entry("--tmpfs", abs));
      } else {
        hiddenLast.add(p);
      }
    }
    // An emptied directory inside a shown one (/var/lib/docker in a policy's /var) would come back
    // with it: emptied again after it, the depth order below putting it on top (and what is shown
    // inside it, a workspace under /var/lib/jenkins, on top of that).
    for (Path e : v.emptied) {
      if (shown.stream().anyMatch(x -> e.startsWith(x) && !e.equals(x))) {
        mounts.add(Map.entry("--tmpfs", e));
      }
    }
    List<Path> writableRoots = new ArrayList<>(writable);
    writableRoots.add(workspace);
    HiddenPathLocks.directoriesToLock(hiddenPaths, writableRoots, readOnlyPaths).forEach(a -> mounts.add(Map.entry(LOCK, a)));
    // writable by the agent's user whichever user made it (as root, bwrap makes it as root)
    v.args.addAll(List.of("--perms", "0777", "--dir", AGENT_HOME.toString()));
    mounts.add(Map.entry("--bind", workspace.toAbsolutePath().normalize()));
    writable.forEach(p -> mounts.add(Map.entry("--bind", p.toAbsolutePath().normalize())));
    readOnlyPaths.forEach(p -> mounts.add(Map.entry("--ro-bind", p.toAbsolutePath().normalize())));
    mounts.sort(java.util.Comparator.comparingInt(b -> b.getValue().getNameCount()));
    for (Map.Entry<String, Path> m : mounts) {
      if (m.getKey().equals(LOCK)) {
        v.args.addAll(v.source("--bind", m.getValue(), v.holdLocks));
        v.args.add(m.getValue().toString());
        v.locked.add(m.getValue().toString());
      } else if (m.getKey().equals("--tmpfs")) {
        v.traversable(m.getValue());
        v.args.addAll(List.of("--perms", "0755", "--tmpfs", m.getValue().toString()));
        v.hidden.add(m.getValue().toString());
        v.privateRoots.add(m.getValue());
      } else {
        v.bind(m.getKey(), m.getValue(), m.getKey().equals("--bind") ? v.readWrite : v.readOnly);
      }
    }
    // Placed after every policy path, so that no policy path (readOnly: [/etc]) can cover the
    // agent's managed settings; where one took their mount point away, bwrap fails the start.
    new java.util.TreeMap<>(placed).forEach((inside, host) -> {
      v.args.addAll(List.of("--ro-bind", host.toAbsolutePath().normalize().toString(), inside.toString()));
      v.readOnly.add(inside.toString());
    });
    for (String top : rebuilt) {
      v.args.addAll(List.of("--remount-ro", "/" + top));
    }
    if (Files.isDirectory(hostRoot.resolve("sys/fs/cgroup"))) {
      v.cgroups(cgroups);
    }
    v.args.addAll(List.of("--remount-ro", "/sys"));
    for (Path p : hiddenLast) {
      Path abs = real(p);
      if (v.alreadyInvisible(abs, shown)) {
        v.hidden.add(abs.toString());
      } else if (Files.isDirectory(abs)) {
        v.args.addAll(List.of("--perms", "0000", "--tmpfs", abs.toString(), "--remount-ro", abs.toString()));
        v.hidden.add(abs.toString());
      } else if (Files.exists(abs)) {
        v.args.addAll(List.of("--ro-bind", emptyFile.toString(), abs.toString()));
        v.hidden.add(abs.toString());
      }
    }
    return v;
  }

  /** A tmpfs at {@code /sys} holding read-only binds of {@link #SYS_SHOWN} (made read-only once the cgroups are in). */
  private void sys(Path hostRoot) {
    args.addAll(List.of("--perms", "0755", "--tmpfs", "/sys"));
    Set<String> dirs = new java.util.TreeSet<>();
    for (String shown : SYS_SHOWN) {
      Path host = hostRoot.resolve(shown);
      if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
        // the directories leading to it, made 0755 (bwrap would make them 0700, root's inside)
        Path inside = Path.of("/" + shown);
        for (int i = 2; i < inside.getNameCount(); i++) { // top-down: /sys/devices, then /sys/devices/system
          String at = "/" + inside.subpath(0, i);
          if (dirs.add(at)) {
            args.addAll(List.of("--perms", "0755", "--dir", at));
          }
        }
        args.addAll(List.of("--ro-bind", host.toString(), "/" + shown));
      }
    }
  }

  /**
   * An empty tmpfs over the host's cgroup tree (bound read-only with the rest of {@code /sys}), the
   * agent's own cgroups bound back read-only where a container would see them, then the tmpfs made
   * read-only. After every other bind, so that no policy path can bring the host's tree back.
   */
  private void cgroups(Map<Path, Path> cgroups) {
    args.addAll(List.of("--perms", "0755", "--tmpfs", CGROUP_FS));
    for (Map.Entry<Path, Path> c : cgroups.entrySet()) {
      String target = c.getValue().toString();
      if (!target.equals(CGROUP_FS)) {
        args.addAll(List.of("--perms", "0755", "--dir", target));
      }
      args.addAll(List.of("--ro-bind", c.getKey().toString(), target));
    }
    args.addAll(List.of("--remount-ro", CGROUP_FS));
  }

  /** The path with symbolic links resolved as far as it exists (the sandbox sees the same links). */
  private static Path real(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    try {
      return abs.toRealPath();
    } catch (IOException e) {
      return abs;
    }
  }

  /** Under a private or empty mount and under nothing bound from the host: nothing to cover. */
  private boolean alreadyInvisible(Path p, List<Path> shown) {
    return isPrivate(p, emptied) && shown.stream().noneMatch(p::startsWith);
  }

  /** At or under a mount that starts empty in every sandbox ({@code /tmp}, {@link #emptied()}, ...). */
  static boolean isPrivate(Path p) {
    return isPrivate(p, emptied());
  }

  private static boolean isPrivate(Path p, List<Path> emptied) {
    if (OWN_EMPTY.stream().anyMatch(p::startsWith)) {
      return true;
    }
    return emptied.stream().anyMatch(p::startsWith);
  }

  /**
   * Where the view empties each directory of {@link #EMPTY} the host has: at its real path. A link
   * ({@code /var/lib/jenkins -> /data/jenkins}, {@code /home -> /srv/home}, moved to a bigger disk)
   * is emptied where it leads, which the view would otherwise show through that directory's own
   * top-level bind; emptying only the link's name left the whole target readable, and the paths
   * hidden under it uncovered, as if they were already empty. Never the host's root, nor what the
   * view makes itself ({@code /tmp}, {@code /dev}, {@code /proc}, {@code /sys}: a link there, such as
   * {@code /var/tmp -> /tmp}, is private already, and a second tmpfs would take {@code /tmp}'s mode),
   * nor a directory inside another one emptied.
   */
  static List<Path> emptied() {
    return emptied(EMPTY);
  }

  /** As {@link #emptied()}, for the given directories. */
  static List<Path> emptied(List<Path> empty) {
    List<Path> targets = new ArrayList<>();
    for (Path e : empty) {
      if (Files.isDirectory(e)) {
        Path at = real(e);
        if (at.getNameCount() > 0 && OWN_EMPTY.stream().noneMatch(at::startsWith) && !at.startsWith("/sys")
            && !targets.contains(at)) {
          targets.add(at);
        }
      }
    }
    return targets.stream().filter(t -> targets.stream().noneMatch(o -> !o.equals(t) && t.startsWith(o))).toList();
  }

  /** A top-level directory as a tmpfs holding a read-only bind (or symlink) of each host entry. */
  private void rebuildTopLevel(Path hostRoot, String top) {
    Path dir = hostRoot.resolve(top);
    String inside = "/" + top;
    args.addAll(List.of("--perms", "0755", "--tmpfs", inside));
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      List<Path> sorted = new ArrayList<>();
      entries.forEach(sorted::add);
      sorted.sort(null);
      for (Path e : sorted) {
        String at = inside + "/" + e.getFileName();
        if (Files.isSymbolicLink(e)) {
          args.addAll(List.of("--symlink", Files.readSymbolicLink(e).toString(), at));
        } else if (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
          args.addAll(List.of("--ro-bind", e.toString(), at));
        }
      }
    } catch (IOException e) {
      throw new SandboxException("cannot list the host's " + dir + " to place the agent's files in it: " + e.getMessage());
    }
  }

  private void hostRoot(Path hostRoot) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(hostRoot)) {
      List<Path> sorted = new ArrayList<>();
      entries.forEach(sorted::add);
      sorted.sort(null);
      for (Path e : sorted) {
        String name = e.getFileName().toString();
        Path inside = Path.of("/").resolve(name);
        if (OWN_MOUNTS.contains(name) || rebuilt.contains(name) && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
          if (rebuilt.contains(name)) {
            readOnly.add(inside.toString());
          }
          continue;
        }
        if (Files.isSymbolicLink(e)) {
          args.addAll(List.of("--symlink", Files.readSymbolicLink(e).toString(), inside.toString()));
        } else if (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
          args.addAll(List.of("--ro-bind", e.toString(), inside.toString()));
          readOnly.add(inside.toString());
        }
      }
    } catch (IOException e) {
      throw new SandboxException("cannot list the host's root directory " + hostRoot + " to build the agent's view: " + e.getMessage());
    }
  }

  private void bind(String how, Path p, List<String> record) {
    Path abs = p.toAbsolutePath().normalize();
    if (Files.exists(abs)) {
      traversable(abs);
      args.addAll(source(how, abs, holdable.contains(abs)));
      args.add(abs.toString());
      record.add(abs.toString());
    }
  }

  /** A bind's operator and source: by name, or by the descriptor the launcher holds for it ({@link #held()}). */
  private List<String> source(String how, Path abs, boolean byDescriptor) {
    if (!byDescriptor) {
      return List.of(how, abs.toString());
    }
    held.add(abs);
    return List.of(how + "-fd", Integer.toString(HELD_FD_BASE + held.size() - 1));
  }

  /**
   * The sources bound by descriptor, in order: the {@code i}th on descriptor {@value #HELD_FD_BASE}
   * {@code + i}. Each is a normal absolute path with no symbolic link in it, as checked when it was planned.
   */
  List<Path> held() {
    return List.copyOf(held);
  }

  /**
   * Creates the directories leading to a bind inside a private tmpfs as {@code 0755} (bwrap would
   * make them {@code 0700}, owned by the namespace's root, which the agent's user cannot enter).
   */
  private void traversable(Path abs) {
    boolean underPrivate = false;
    Path at = Path.of("/");
    for (int i = 0; i < abs.getNameCount() - 1; i++) {
      at = at.resolve(abs.getName(i));
      if (!underPrivate) {
        underPrivate = at.equals(Path.of("/tmp")) || EMPTY.contains(at) || privateRoots.contains(at);
        continue;
      }
      if (made.add(at)) {
        args.addAll(List.of("--perms", "0755", "--dir", at.toString()));
      }
    }
  }

  /** The {@code bwrap} arguments, in order. */
  List<String> args() {
    return List.copyOf(args);
  }

  /** The view for the evidence: read-only, read-write and hidden paths. */
  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("read_only", List.copyOf(readOnly));
    m.put("read_write", List.copyOf(readWrite));
    m.put("hidden", List.copyOf(hidden));
    if (!locked.isEmpty()) {
      m.put("locked", List.copyOf(locked)); // writable, but cannot be renamed: they hold hidden paths
    }
    m.put("private", List.of("/tmp", "/dev (null, zero, full, random, urandom, tty, pts; shm its own tmpfs)", "/proc (own PID namespace)",
        "/sys (read-only: only /sys/devices/system/cpu, /sys/devices/system/node, /sys/kernel/mm/transparent_hugepage)",
        CGROUP_FS + " (only the agent's own cgroups, read-only)"));
    return m;
  }
}

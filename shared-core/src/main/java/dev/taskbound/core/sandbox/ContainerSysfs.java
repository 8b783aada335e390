package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The agent container's {@code /sys} as an allow-list, as the netns backend's: Docker's own sysfs
 * (the container's network namespace, so only its {@code lo}) still lists the host's block devices
 * and every device under {@code /sys/devices}, {@code /sys/block}, {@code /sys/class},
 * {@code /sys/fs/<filesystem>/<device>}. Those are covered with read-only empty tmpfs; the CPU and
 * NUMA node directories are bound back read-only so {@code nproc --all} and the JVM count the CPUs.
 * The bind sources are the kernel's sysfs paths, the same on the daemon's host as here (one kernel),
 * so they need no {@link ContainerSelf} translation. {@code /sys/fs/cgroup} (the container's own
 * cgroups) and {@code /sys/kernel} stay as Docker mounts them.
 */
final class ContainerSysfs {
  /** Directories covered with an empty read-only tmpfs (besides each filesystem's under /sys/fs). */
  static final List<String> COVERED = List.of("/sys/block", "/sys/bus", "/sys/class", "/sys/dev", "/sys/devices");
  /** Directories of the host's sysfs bound back read-only inside the covered /sys/devices. */
  static final List<String> BOUND_BACK = List.of("/sys/devices/system/cpu", "/sys/devices/system/node");

  private ContainerSysfs() {}

  /** The {@code docker create} flags, for the sysfs this process sees (the daemon's kernel's). */
  static List<String> args() {
    return args(Path.of("/sys"));
  }

  static List<String> args(Path sys) {
    List<String> a = new ArrayList<>();
    for (String p : covered(sys)) {
      a.addAll(List.of("--tmpfs", p + ":ro,nosuid,nodev,noexec,mode=0755"));
    }
    for (String p : BOUND_BACK) {
      if (Files.isDirectory(sys.resolve(p.substring("/sys/".length())))) { // no NUMA node directory on some kernels
        a.addAll(List.of("--mount", "type=bind,source=" + p + ",target=" + p + ",readonly"));
      }
    }
    return a;
  }

  /** Every covered directory: the fixed ones and each filesystem's under /sys/fs but the cgroups. */
  static List<String> covered(Path sys) {
    List<String> c = new ArrayList<>(COVERED);
    try (Stream<Path> s = Files.list(sys.resolve("fs"))) {
      s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("cgroup")).sorted().forEach(n -> c.add("/sys/fs/" + n));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + sys.resolve("fs") + " to hide the host's filesystems' devices", e);
    }
    return c;
  }
}

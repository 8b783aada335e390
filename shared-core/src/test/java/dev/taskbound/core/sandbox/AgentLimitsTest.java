package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.policy.SandboxLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which mechanism applies the agent's limits, on cgroup file system layouts laid out in a temporary
 * directory (the real cgroup is exercised by KernelSurfaceEscapeTest's fork bomb).
 */
class AgentLimitsTest {
  private static final SandboxLimits BOTH = new SandboxLimits(OptionalInt.of(256), OptionalLong.of(512L << 20));
  private static final SandboxLimits PIDS = new SandboxLimits(OptionalInt.of(256), OptionalLong.empty());

  @TempDir Path dir;

  private Path self(String text) throws Exception {
    return Files.writeString(dir.resolve("self-cgroup"), text);
  }

  @Test
  void aDelegatingCgroupV2ParentGetsAChildWithPidsMaxAndMemoryMax() throws Exception {
    Path root = Files.createDirectories(dir.resolve("fs"));
    Path parent = Files.createDirectories(root.resolve("ci.slice"));
    Files.writeString(root.resolve("cgroup.controllers"), "cpu memory pids\n");
    Files.writeString(parent.resolve("cgroup.subtree_control"), "memory pids\n");

    AgentLimits limits = AgentLimits.apply(BOTH, root, self("0::/ci.slice\n"), "taskbound-1");

    Path child = parent.resolve("taskbound-1");
    assertThat(Files.readString(child.resolve("pids.max"))).isEqualTo("256");
    assertThat(Files.readString(child.resolve("memory.max"))).isEqualTo(Long.toString(512L << 20));
    assertThat(limits.joinFiles()).containsExactly(child.resolve("cgroup.procs"));
    assertThat(limits.prlimit("/usr/bin:/bin")).isEmpty();
    assertThat(limits.describe()).containsEntry("applied_by", "cgroup v2 " + child).containsEntry("memory", "512Mi")
        .containsEntry("pids", 256);
  }

  @Test
  void withoutDelegatedControllersCgroupV1HierarchiesAreUsed() throws Exception {
    Path root = Files.createDirectories(dir.resolve("fs"));
    Files.writeString(Files.createDirectories(root.resolve("unified")).resolve("cgroup.subtree_control"), "");
    for (String c : List.of("pids", "memory")) {
      Files.writeString(Files.createDirectories(root.resolve(c)).resolve("cgroup.procs"), "");
    }
    Files.createDirectories(root.resolve("memory/job"));

    AgentLimits limits = AgentLimits.apply(BOTH, root, self("8:pids:/\n4:memory:/job\n0::/\n"), "taskbound-2");

    assertThat(Files.readString(root.resolve("pids/taskbound-2/pids.max"))).isEqualTo("256");
    assertThat(Files.readString(root.resolve("memory/job/taskbound-2/memory.limit_in_bytes"))).isEqualTo(Long.toString(512L << 20));
    assertThat(limits.joinFiles())
        .containsExactly(root.resolve("pids/taskbound-2/cgroup.procs"), root.resolve("memory/job/taskbound-2/cgroup.procs"));
  }

  @Test
  void withoutAWritableCgroupPidsFallBackToRlimitNproc() throws Exception {
    AgentLimits limits = AgentLimits.apply(PIDS, dir.resolve("absent"), self("0::/user.slice\n"), "taskbound-3");

    assertThat(limits.joinFiles()).isEmpty();
    assertThat(limits.prlimit("/usr/bin:/bin")).endsWith("--nproc=256:256", "--");
    assertThat(limits.describe()).containsEntry("applied_by", "RLIMIT_NPROC (per user; no cgroup available)");
  }

  @Test
  void aMemoryLimitWithoutACgroupFailsClosed() throws Exception {
    Path root = dir.resolve("absent");

    assertThatThrownBy(() -> AgentLimits.apply(BOTH, root, self("0::/\n"), "taskbound-4"))
        .isInstanceOf(SandboxException.class)
        .hasMessage("sandbox.limits.memory 512Mi cannot be applied: this process cannot create a cgroup with the memory"
            + " controller under " + root + " (no delegated cgroup v2 subtree, no writable cgroup v1 memory hierarchy),"
            + " and RLIMIT_AS would stop the JVM. Options: run taskbound as root on a host with a writable cgroup file"
            + " system, drop sandbox.limits.memory, or use the container backend");
  }

  @Test
  void aMissingMemoryHierarchyLeavesNoPidsCgroupBehindAndRemoveDeletesTheCgroup() throws Exception {
    Path root = Files.createDirectories(dir.resolve("fs"));
    Files.writeString(Files.createDirectories(root.resolve("pids")).resolve("cgroup.procs"), "");
    // no memory hierarchy: the pids directory made first must not stay behind

    AgentLimits pidsOnly = AgentLimits.apply(PIDS, root, self("8:pids:/\n"), "taskbound-5");
    assertThatThrownBy(() -> AgentLimits.apply(BOTH, root, self("8:pids:/\n"), "taskbound-6"))
        .isInstanceOf(SandboxException.class);
    Files.delete(root.resolve("pids/taskbound-5/pids.max")); // a real cgroup's files go with rmdir
    pidsOnly.remove();

    assertThat(root.resolve("pids/taskbound-6")).doesNotExist();
    assertThat(root.resolve("pids/taskbound-5")).doesNotExist();
  }
}

package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Who made a container, and when that maker is gone (issue 12: the container backend's leftovers). */
class ContainerOwnerTest {
  private static final Path PROC = Path.of("/proc");
  private final String[] self = ContainerOwner.current(Optional.empty(), PROC).value().split(":");

  private ContainerOwner pidOwner(String boot, String namespace, long pid, long start) {
    return new ContainerOwner("pid:" + boot + ":" + namespace + ":" + pid + ":" + start);
  }

  @Test
  void thisProcessIsNotGone() {
    ContainerOwner owner = ContainerOwner.current(Optional.empty(), PROC);

    boolean gone = owner.isGone(Set.of(), PROC);

    assertThat(owner.value()).startsWith("pid:").endsWith(":" + ProcessHandle.current().pid() + ":" + self[4]);
    assertThat(gone).isFalse();
  }

  @Test
  void aProcessThatHasExitedIsGone() throws Exception {
    Process p = new ProcessBuilder("true").start();
    long start = p.info().startInstant().orElseThrow().toEpochMilli();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

    boolean gone = pidOwner(self[1], self[2], p.pid(), start).isGone(Set.of(), PROC);

    assertThat(gone).isTrue();
  }

  @Test
  void aPidNowHeldByAnotherProcessIsGone() {
    long otherStart = Long.parseLong(self[4]) - 1;

    boolean gone = pidOwner(self[1], self[2], ProcessHandle.current().pid(), otherStart).isGone(Set.of(), PROC);

    assertThat(gone).isTrue();
  }

  @Test
  void anOwnerOnAnotherBootOrInAnotherPidNamespaceIsNeverTakenAsGone() {
    long deadPid = Integer.MAX_VALUE; // above any pid_max

    boolean otherBoot = pidOwner("00000000-0000-0000-0000-000000000000", self[2], deadPid, 1).isGone(Set.of(), PROC);
    boolean otherNamespace = pidOwner(self[1], "1", deadPid, 1).isGone(Set.of(), PROC);
    boolean unknown = new ContainerOwner("pid:unknown:unknown:" + deadPid + ":1").isGone(Set.of(), PROC);
    boolean malformed = new ContainerOwner("pid:" + self[1]).isGone(Set.of(), PROC);

    assertThat(otherBoot).isFalse();
    assertThat(otherNamespace).isFalse();
    assertThat(unknown).isFalse();
    assertThat(malformed).isFalse();
  }

  @Test
  void aContainerOwnerIsGoneOnceNoRunningContainerHasItsIdOrName() {
    String id = "0123456789ab".repeat(5) + "cdef";
    ContainerOwner byName = ContainerOwner.current(Optional.of("action-main"), PROC);
    ContainerOwner byShortId = new ContainerOwner("container:" + id.substring(0, 12));

    assertThat(byName.value()).isEqualTo("container:action-main");
    assertThat(byName.isGone(Set.of(id, "action-main"), PROC)).isFalse();
    assertThat(byShortId.isGone(Set.of(id, "action-main"), PROC)).isFalse();
    assertThat(byName.isGone(Set.of(id, "other"), PROC)).isTrue();
    assertThat(byShortId.isGone(Set.of("f" + id.substring(1)), PROC)).isTrue();
  }
}

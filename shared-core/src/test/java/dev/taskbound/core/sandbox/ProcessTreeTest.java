package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessTreeTest {
  @Test
  void killsTheProcessAndItsDescendantsWhenTheStartTimeMatches() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "sleep 1000 & sleep 1000 & wait").start();
    try {
      List<ProcessHandle> children = awaitChildren(p, 2);

      boolean killed = ProcessTree.kill(p.pid(), p.info().startInstant());

      assertThat(killed).isTrue();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      for (ProcessHandle c : children) {
        c.onExit().get(10, TimeUnit.SECONDS);
        assertThat(c.isAlive()).isFalse();
      }
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void killsEveryProcessTreeThatCarriesTheMarkerAndNothingElse() throws Exception {
    String marker = "tb-marker-" + java.util.UUID.randomUUID();
    Process marked = new ProcessBuilder("sh", "-c", "sleep 600 & wait", marker).start();
    Process other = new ProcessBuilder("sh", "-c", "sleep 600 & wait", "unrelated").start();
    try {
      List<ProcessHandle> markedChildren = awaitChildren(marked, 1);

      int killed = ProcessTree.killWithArgument(marker);

      assertThat(killed).isEqualTo(1);
      assertThat(marked.waitFor(10, TimeUnit.SECONDS)).isTrue();
      for (ProcessHandle c : markedChildren) {
        c.onExit().get(10, TimeUnit.SECONDS);
        assertThat(c.isAlive()).isFalse();
      }
      assertThat(other.isAlive()).isTrue();
    } finally {
      other.descendants().forEach(ProcessHandle::destroyForcibly);
      other.destroyForcibly();
    }
  }

  @Test
  void findsTheMarkerAfterALongClassPath() throws Exception {
    // The JDK's ProcessHandle.Info#commandLine() stops at 4,096 bytes; a test JVM's class path is longer.
    String marker = "tb-marker-" + java.util.UUID.randomUUID();
    String longArgument = "x".repeat(6000);
    Process marked = new ProcessBuilder("sh", "-c", "sleep 600 & wait", longArgument, marker).start();
    try {
      awaitChildren(marked, 1);

      assertThat(ProcessTree.killWithArgument(marker)).isEqualTo(1);
      assertThat(marked.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      marked.descendants().forEach(ProcessHandle::destroyForcibly);
      marked.destroyForcibly();
    }
  }

  @Test
  void leavesAReusedPidAlone() throws Exception {
    Process p = new ProcessBuilder("sleep", "1000").start();
    try {
      boolean killed = ProcessTree.kill(p.pid(), Optional.of(Instant.EPOCH));

      assertThat(killed).isFalse();
      assertThat(p.isAlive()).isTrue();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void reportsAnExitedProcessAsNothingToKill() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();

    assertThat(ProcessTree.kill(p.pid(), p.info().startInstant())).isFalse();
  }

  private static List<ProcessHandle> awaitChildren(Process p, int n) throws InterruptedException {
    List<ProcessHandle> found = List.of();
    for (int i = 0; i < 1000 && found.size() < n; i++) {
      found = p.children().filter(c -> c.info().command().orElse("").endsWith("sleep")).collect(Collectors.toList());
      if (found.size() < n) {
        TimeUnit.MILLISECONDS.sleep(10); // polling: no event exists for "a child exec'd"
      }
    }
    assertThat(found).hasSize(n);
    return found;
  }
}

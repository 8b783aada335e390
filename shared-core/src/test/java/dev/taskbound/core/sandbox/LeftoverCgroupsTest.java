package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.policy.SandboxLimits;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11: a {@code netns} launch killed with {@code SIGKILL} never removes its cgroup; the next
 * start (and {@code teardown --session}) does. On the real cgroup file system, so root on a host
 * whose cgroups Taskbound can make (as CI runs); skipped elsewhere.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeftoverCgroupsTest {
  private static final SandboxLimits PIDS = new SandboxLimits(OptionalInt.of(64), OptionalLong.empty());
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final Path SELF = Path.of("/proc/self/cgroup");

  private final List<Process> processes = new ArrayList<>();
  private final List<AgentLimits> made = new ArrayList<>();
  private int names;

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor();
    }
    made.forEach(AgentLimits::remove);
  }

  /** A real cgroup made by {@link AgentLimits} as a launch of process {@code maker} makes it. */
  private AgentLimits cgroupOf(long maker) {
    AgentLimits limits = AgentLimits.apply(PIDS, ROOT, SELF, "taskbound-" + maker + "-" + Integer.toHexString(0xf00 + names++));
    made.add(limits);
    assumeThat(limits.joinFiles()).as("this host lets Taskbound make cgroups (root, cgroup v1 or a delegated v2)").isNotEmpty();
    return limits;
  }

  /** A process joined to the cgroup, as the sandbox's processes are; returns once it is in. */
  private Process joined(AgentLimits limits) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "echo $$ > \"$1\" && echo in && exec sleep 300", "join",
        limits.joinFiles().get(0).toString()).redirectErrorStream(true).start();
    processes.add(p);
    String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    assertThat(line).isEqualTo("in");
    return p;
  }

  private Process liveProcess() throws Exception {
    Process p = new ProcessBuilder("sleep", "300").start();
    processes.add(p);
    return p;
  }

  private static void end(Process p) throws InterruptedException {
    p.destroyForcibly();
    p.waitFor();
  }

  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  private static Path dirOf(AgentLimits limits) {
    return limits.joinFiles().get(0).getParent();
  }

  @Test
  void theCgroupOfALaunchKilledWithItsTaskboundIsRemovedAtTheNextStart() throws Exception {
    // given: a launch's cgroup whose Taskbound is gone and whose agent was killed with SIGKILL;
    // beside it, the cgroup of a live Taskbound (still starting) and one still holding a process
    // (each maker is alive until its cgroup holds what it should, so that a sweep by another run on
    // this host cannot remove the cgroup before the test's own process joins it)
    Process killedMaker = liveProcess();
    AgentLimits killed = cgroupOf(killedMaker.pid());
    Process agent = joined(killed);
    end(agent);
    end(killedMaker);
    AgentLimits live = cgroupOf(liveProcess().pid());
    Process busyMaker = liveProcess();
    AgentLimits busy = cgroupOf(busyMaker.pid());
    joined(busy);
    end(busyMaker);

    // when: the next start applies its limits
    AgentLimits next = cgroupOf(ProcessHandle.current().pid());

    // then
    assertThat(dirOf(killed)).doesNotExist();
    assertThat(dirOf(live)).as("its maker lives").isDirectory();
    assertThat(dirOf(busy)).as("it still holds a process").isDirectory();
    assertThat(dirOf(next)).isDirectory();
  }

  @Test
  void teardownRemovesTheCgroupOfASandboxItKilledJustNow() throws Exception {
    Process maker = liveProcess();
    AgentLimits killed = cgroupOf(maker.pid());
    Process agent = joined(killed);
    end(maker);
    agent.destroyForcibly(); // not waited for: the kernel may still count it when the removal starts

    List<Path> removed = LeftoverCgroups.remove();

    assertThat(removed).contains(dirOf(killed));
    assertThat(dirOf(killed)).doesNotExist();
  }

  @Test
  void nothingButTaskboundsOwnNamesIsEverRemoved() throws Exception {
    AgentLimits ours = cgroupOf(deadPid());
    Path foreign = Files.createDirectory(dirOf(ours).resolveSibling("taskbound-other-" + deadPid()));
    try {
      List<Path> removed = LeftoverCgroups.remove();

      assertThat(removed).contains(dirOf(ours)).doesNotContain(foreign);
      assertThat(foreign).isDirectory();
    } finally {
      Files.delete(foreign);
    }
  }
}

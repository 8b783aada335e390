package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.sandbox.SeccompProfile;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, the kernel surface in the other privilege mode: Taskbound itself run by an ordinary
 * user, through the shipped launcher and shaded jar. The agent is that user; the same seccomp filter
 * refuses the same calls, and the pids limit is {@code RLIMIT_NPROC} (no cgroup for an ordinary
 * user), recorded as such. Run as root, the test becomes an otherwise unused uid with setpriv.
 */
@Timeout(240)
class UnprivilegedLauncherIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
  /** Owns nothing else on the machine, so RLIMIT_NPROC counts only this run's processes. */
  private static final int USER = 61207;

  @TempDir Path work;

  @Test
  void anOrdinaryUsersMemoryLimitWithoutACgroupStopsTheStartWith121() throws Exception {
    assumeThat(AgentOwner.root()).as("becomes an ordinary user with setpriv").isTrue();
    Path ws = Files.createDirectories(work.resolve("ws"));
    Files.writeString(ws.resolve("p.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  sandbox: {backends: [netns], limits: {memory: 256Mi}}\n");
    Files.createDirectories(work.resolve("home"));
    giveToUser();

    Result r = runAsUser(ws, "KERNEL-2", "touch", "started");

    assertThat(r.status()).as(r.output()).isEqualTo(121);
    assertThat(r.output()).contains("sandbox.limits.memory 256Mi cannot be applied: this process cannot create a"
        + " cgroup with the memory controller");
    assertThat(ws.resolve("started")).doesNotExist();
  }

  private record Result(int status, String output) {}

  private void giveToUser() throws Exception {
    try (Stream<Path> all = Files.walk(work)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.setAttribute(p, "unix:uid", USER, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", USER, LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  private Result runAsUser(Path ws, String task, String... agent) throws Exception {
    return runAsUser("--clear-groups", ws, task, agent);
  }

  /** @param groups setpriv's option for the user's supplementary groups */
  private Result runAsUser(String groups, Path ws, String task, String... agent) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER,
        groups, "--", REPO.resolve("bin/taskbound").toString(), "run", "--task", task, "--policy", "p.yml",
        "--out", work.resolve("out").toString(), "--"));
    cmd.addAll(List.of(agent));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ws.toFile()).redirectErrorStream(true);
    pb.environment().put("HOME", work.resolve("home").toString());
    pb.environment().put("TASKBOUND_HOME", work.resolve("home").toString());
    pb.environment().put("XDG_CACHE_HOME", work.resolve("cache").toString());
    pb.environment().put("TASKBOUND_JAR", JAR.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  /**
   * Run as an ordinary user, the agent is that user with its supplementary groups: an unprivileged
   * user namespace cannot drop them (setgroups is denied in it). They are recorded, so the evidence
   * says what the agent could read (review finding).
   */
  @Test
  void anOrdinaryUsersSupplementaryGroupsAreRecordedInTheEvidence() throws Exception {
    assumeThat(AgentOwner.root()).as("becomes an ordinary user with setpriv").isTrue();
    Path ws = Files.createDirectories(work.resolve("ws"));
    Files.writeString(ws.resolve("p.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  sandbox: {backends: [netns]}\n");
    for (String d : List.of("home", "cache", "out")) {
      Files.createDirectories(work.resolve(d));
    }
    giveToUser();

    Result r = runAsUser("--groups=4,20", ws, "GROUPS-1", "id", "-G");

    assertThat(r.status()).as(r.output()).isZero();
    assertThat(RunArtifacts.bundleText(work.resolve("out"), "events.jsonl")).contains("\"supplementary_groups\":[4,20]");
  }

  @Test
  void anOrdinaryUsersAgentGetsTheSameFilterAndAnRlimitOnPids() throws Exception {
    assumeThat(AgentOwner.root()).as("becomes an ordinary user with setpriv").isTrue();
    Path ws = Files.createDirectories(work.resolve("ws"));
    try (InputStream in = getClass().getResourceAsStream("syscall-probe.py")) {
      Files.write(ws.resolve("syscall-probe.py"), in.readAllBytes());
    }
    Files.writeString(ws.resolve("p.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  sandbox: {backends: [netns], limits: {pids: 256}}\n");
    Files.writeString(ws.resolve("bomb.py"), "import errno, os\nr, w = os.pipe()\nkids, refused = 0, None\n"
        + "for _ in range(600):\n    try:\n        pid = os.fork()\n    except OSError as e:\n"
        + "        refused = errno.errorcode.get(e.errno)\n        break\n"
        + "    if pid == 0:\n        os.close(w)\n        os.read(r, 1)\n        os._exit(0)\n    kids += 1\n"
        + "os.close(w)\nfor _ in range(kids):\n    os.wait()\nprint('forked', kids, 'refused', refused)\n");
    for (String d : List.of("home", "cache", "out")) {
      Files.createDirectories(work.resolve(d));
    }
    giveToUser();
    Result r = runAsUser(ws, "KERNEL-1", "/bin/sh", "-c", "/usr/bin/python3 syscall-probe.py; /usr/bin/python3 bomb.py");
    String out = r.output();

    assertThat(r.status()).as(out).isZero();
    for (String call : KernelSurfaceEscapeTest.REFUSED) {
      assertThat(out).as(call).contains("\n" + call + " EPERM\n");
    }
    assertThat(out).contains("\nclone3 ENOSYS\n").containsPattern("forked [0-9]+ refused EAGAIN");
    String events = RunArtifacts.bundleText(work.resolve("out"), "events.jsonl");
    assertThat(events).contains("\"uid\":" + USER, "\"profile\":\"" + SeccompProfile.current().digest() + "\"",
        "\"applied_by\":\"RLIMIT_NPROC (per user; no cgroup available)\"", "\"pids\":256");
  }
}

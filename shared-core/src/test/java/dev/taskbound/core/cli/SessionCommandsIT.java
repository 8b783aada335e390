package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.FinishedCommand;
import dev.taskbound.core.testing.LocalApi;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code session start / exec / end} as a CI host runs them: through bin/taskbound and the shaded
 * jar, the supervisor a real detached process, each exec a real sandbox on the session's gateway.
 */
@Timeout(300)
class SessionCommandsIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));

  @TempDir Path work;
  private Path ws;
  private HttpServer api;
  private Path policy;
  private final List<String> handles = new ArrayList<>();

  @BeforeEach
  void workspaceAndApi() throws IOException {
    ws = Files.createDirectories(work.resolve("ws"));
    AgentOwner.own(ws); // the agent runs as the workspace's owner, never root
    api = LocalApi.serving("session api\n");
    int port = api.getAddress().getPort();
    policy = Files.writeString(work.resolve("p.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n"
        + "  sandbox: {backends: [netns]}\n  egress:\n    allow: [\"api.test:" + port + "\"]\n"
        + "    hosts: {api.test: 127.0.0.1, blocked.test: 127.0.0.1}\n");
  }

  @AfterEach
  void endWhatIsLeft() throws Exception {
    api.stop(0);
    for (String h : handles) {
      tb("session", "end", "--session", h); // idempotent: a no-op for sessions already ended
    }
  }

  @Test
  void thePython3ClientAndTheJvmClientOfSessionExecGiveTheSameOutputStatusAndRefusal() throws Exception {
    String h = start("--ttl", "5m");
    String[] exec = {"session", "exec", "--session", h, "--", "sh", "-c", "echo out; echo err >&2; exit 5"};
    String[] refused = {"session", "exec", "--session", h, "--rw", "/nonexistent", "--", "true"};
    String[] refusedRo = {"session", "exec", "--session", h, "--ro=/nonexistent", "--", "true"};
    // no jar: only the python3 client can answer (a fallback to the JVM would exit 125)
    java.util.Map<String, String> noJvm = java.util.Map.of("TASKBOUND_JAR", work.resolve("no-such.jar").toString());
    java.util.Map<String, String> jvm = java.util.Map.of("TASKBOUND_EXEC_CLIENT", "jvm");

    FinishedCommand python = tb(noJvm, exec);
    FinishedCommand java = tb(jvm, exec);
    FinishedCommand pythonRefused = tb(noJvm, refused);
    FinishedCommand javaRefused = tb(jvm, refused);
    FinishedCommand pythonRefusedRo = tb(noJvm, refusedRo);
    FinishedCommand javaRefusedRo = tb(jvm, refusedRo);
    tb("session", "end", "--session", h);
    FinishedCommand pythonAfterEnd = tb(noJvm, "session", "exec", "--session", h, "--", "true");

    assertThat(python.status()).as(python.all()).isEqualTo(5);
    assertThat(python.stdout()).isEqualTo("out\n");
    assertThat(python.stderr()).isEqualTo("err\n");
    assertThat(java.status()).as(java.all()).isEqualTo(5);
    assertThat(java.stdout()).isEqualTo(python.stdout());
    assertThat(java.stderr()).isEqualTo(python.stderr());
    assertThat(pythonRefused.status()).as(pythonRefused.all()).isEqualTo(125).isEqualTo(javaRefused.status());
    assertThat(pythonRefused.stderr()).startsWith("taskbound: error: --rw: '/nonexistent'").isEqualTo(javaRefused.stderr());
    assertThat(pythonRefusedRo.status()).as(pythonRefusedRo.all()).isEqualTo(125).isEqualTo(javaRefusedRo.status());
    assertThat(pythonRefusedRo.stderr()).startsWith("taskbound: error: --ro: '/nonexistent' is not an existing regular file")
        .isEqualTo(javaRefusedRo.stderr());
    // an ended session has no supervisor to ask: the python3 client hands over to the JVM one (here: no jar)
    assertThat(pythonAfterEnd.status()).isEqualTo(125);
    assertThat(pythonAfterEnd.stderr()).contains("no-such.jar not found");
  }

  @Test
  void twoExecsGetFreshSandboxesOnOneGatewayAndOneSealedBundle() throws Exception {
    int port = api.getAddress().getPort();
    String h = start("--ttl", "5m");

    FinishedCommand first = tb("session", "exec", "--session", h, "--", "sh", "-c",
        "echo mark > /tmp/mark; curl -sS --max-time 30 http://api.test:" + port + "/");
    FinishedCommand second = tb("session", "exec", "--session", h, "--", "sh", "-c",
        "test -e /tmp/mark && echo leaked; curl -sS --max-time 30 -o /dev/null -w '%{http_code}\\n' http://blocked.test:" + port
            + "/; exit 7");
    FinishedCommand end = tb("session", "end", "--session", h);
    FinishedCommand again = tb("session", "end", "--session", h);
    FinishedCommand after = tb("session", "exec", "--session", h, "--", "true");
    FinishedCommand verify = tb("verify", "--allow-unverified-signer", RunArtifacts.onlyBundle(work.resolve("out")).toString());
    // the host record: the kid 'session start' printed before any command ran verifies the bundle
    Matcher kid = Pattern.compile("evidence key: kid (\\S+)").matcher(startOf(h).stderr());
    assertThat(kid.find()).as(startOf(h).all()).isTrue();
    FinishedCommand expected = tb("verify", "--expect-kid", kid.group(1), RunArtifacts.onlyBundle(work.resolve("out")).toString());

    assertThat(expected.status()).as(expected.all()).isZero();
    assertThat(first.status()).as(first.all()).isZero();
    assertThat(first.stdout()).contains("session api");
    assertThat(second.status()).as(second.all()).isEqualTo(7);
    assertThat(second.stdout()).doesNotContain("leaked").contains("403");
    assertThat(second.stderr()).contains("taskbound: denied blocked.test:" + port); // live, next to the command
    assertThat(end.status()).as(end.all()).isZero();
    assertThat(end.stderr()).contains("seal-evidence").contains("ok");
    assertThat(again.status()).as(again.all()).isZero();
    assertThat(again.stderr()).contains("already completed");
    assertThat(after.status()).as(after.all()).isEqualTo(121);
    assertThat(after.stderr()).contains("has ended").contains("session start");
    assertThat(verify.status()).as(verify.all()).isZero();
    String events = RunArtifacts.bundleText(work.resolve("out"), "events.jsonl");
    assertThat(events).contains("\"egress.allowed\"").contains("\"egress.denied\"").contains("blocked.test");
    assertThat(events.split("\"agent.exited\"", -1)).hasSize(3);
    // the session's outcome is its failed command's, not the first command's 0
    assertThat(RunArtifacts.bundleText(work.resolve("out"), "summary.md"))
        .contains("| Outcome | **failed (command 2 of 2 exited 7)** |").contains("| Exit code | 7 |")
        .contains("### Commands");
  }

  @Test
  void anExecArrivingWhileTheSessionEndsIsRefusedWith121AndTheRunningOneGets143() throws Exception {
    String h = start("--ttl", "5m");
    Path started = ws.resolve("started");
    Path termSeen = ws.resolve("term-seen");
    // Ignores SIGTERM (the trap records it), so the end waits its grace period before SIGKILL: the window.
    CompletableFuture<FinishedCommand> running = CompletableFuture.supplyAsync(() -> call(() -> tb("session", "exec", "--session", h,
        "--", "sh", "-c", "trap 'touch " + termSeen + "' TERM; touch " + started
            + "; i=0; while [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done")));
    awaitFile(started, running);
    CompletableFuture<FinishedCommand> ending = CompletableFuture.supplyAsync(() -> call(() -> tb("session", "end", "--session", h)));
    awaitFile(termSeen, ending);

    FinishedCommand late = tb("session", "exec", "--session", h, "--", "true");
    FinishedCommand end = ending.get(180, TimeUnit.SECONDS);
    FinishedCommand stopped = running.get(180, TimeUnit.SECONDS);

    assertThat(late.status()).as(late.all()).isEqualTo(121);
    assertThat(end.status()).as(end.all()).isZero();
    assertThat(stopped.status()).as(stopped.all()).isEqualTo(143);
  }

  /** Waits for a file the command writes, as long as that command runs (bounded by its own timeout). */
  private static void awaitFile(Path file, CompletableFuture<FinishedCommand> command) throws Exception {
    java.nio.file.WatchService watch = file.getFileSystem().newWatchService();
    try (watch) {
      file.getParent().register(watch, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
      while (!Files.exists(file)) {
        assertThat(command).as("ended before writing " + file + ": " + (command.isDone() ? command.get().all() : ""))
            .isNotDone();
        java.nio.file.WatchKey key = watch.poll(1, TimeUnit.SECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    }
  }

  private interface Call {
    FinishedCommand run() throws Exception;
  }

  private static FinishedCommand call(Call c) {
    try {
      return c.run();
    } catch (Exception e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  @Test
  void endAfterTheSupervisorWasKilledFinishesFromTheJournal() throws Exception {
    String h = start("--ttl", "5m");
    long pid = supervisorPid(lastStart.stderr());
    FinishedCommand ran = tb("session", "exec", "--session", h, "--", "true");

    ProcessHandle supervisor = ProcessHandle.of(pid).orElseThrow();
    supervisor.destroyForcibly(); // SIGKILL
    supervisor.onExit().get(30, TimeUnit.SECONDS);
    FinishedCommand exec = tb("session", "exec", "--session", h, "--", "true");
    FinishedCommand end = tb("session", "end", "--session", h);
    // integrity only: the host record of the kid (--expect-kid) is LauncherIT's
    FinishedCommand verify = tb("verify", "--allow-unverified-signer", RunArtifacts.onlyBundle(work.resolve("out")).toString());

    assertThat(ran.status()).as(ran.all()).isZero();
    assertThat(exec.status()).as(exec.all()).isEqualTo(121);
    assertThat(exec.stderr()).contains("is not running");
    assertThat(end.status()).as(end.all()).isZero();
    assertThat(end.stderr()).contains("supervisor is gone");
    assertThat(verify.status()).as(verify.all()).isZero();
    assertThat(Path.of(h)).doesNotExist();
  }

  @Test
  void theCommandInsideCannotSeeTheControlSocket() throws Exception {
    String h = start("--ttl", "5m");
    Path runtime = Path.of(new ObjectMapper().readTree(Path.of(h, "session.json").toFile()).path("runtime_dir").asText());
    Path control = runtime.resolve("control.sock");

    FinishedCommand probe = tb("session", "exec", "--session", h, "--", "sh", "-c",
        "ls -A " + runtime + "; test -e " + control + " && echo REACHABLE; test -S " + runtime + "/gateway.sock && echo gateway-ok");

    assertThat(control).exists(); // on the host it is there, owner-only
    assertThat(probe.status()).as(probe.all()).isZero();
    assertThat(probe.stdout()).doesNotContain("REACHABLE").doesNotContain("control.sock").contains("gateway-ok");
  }

  /**
   * Review finding: the launcher makes its class-data cache before a {@code run}, not before a
   * session's commands, and a hidden path that does not exist cannot be covered; an agent allowed to
   * write the cache's parent made it first and planted an archive the host's next JVM mapped.
   */
  @Test
  void anAgentThatMayWriteTheCachesParentCannotMakeTheLaunchersCacheFirst() throws Exception {
    // writable by the agent yet trusted by the launcher, as /tmp is: sticky, everyone's (as the same
    // user, which the agent is when taskbound does not run as root, any cache parent of the user's)
    Path parent = Files.createDirectories(work.resolve("agent-writable-cache"));
    Files.setAttribute(parent, "unix:mode", 01777);
    Path cache = parent.resolve("taskbound");
    Files.writeString(policy, Files.readString(policy).replace("backends: [netns]",
        "backends: [netns], paths: {readWrite: [\"" + parent + "\"]}"));
    java.util.Map<String, String> env = java.util.Map.of("XDG_CACHE_HOME", parent.toString());
    FinishedCommand start = tb(env, "session", "start", "--task", "SESS-1", "--policy", policy.toString(),
        "--out", work.resolve("out").toString());
    assertThat(start.status()).as(start.all()).isZero();
    String h = start.stdout().strip();
    handles.add(h);

    FinishedCommand plant = tb(env, "session", "exec", "--session", h, "--", "sh", "-c",
        "touch " + parent + "/beside && echo parent-writable; mkdir -p " + cache + "; echo archive > " + cache
            + "/taskbound-x.jsa && echo PLANTED");

    assertThat(plant.stdout()).as(plant.all()).contains("parent-writable").doesNotContain("PLANTED");
    assertThat(Files.isDirectory(cache, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(Files.getOwner(cache)).isEqualTo(Files.getOwner(work)); // the host user's, as the launcher would make it
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwx------");
    try (java.util.stream.Stream<Path> inCache = Files.list(cache)) {
      assertThat(inCache.filter(f -> f.getFileName().toString().startsWith("taskbound-x"))).isEmpty();
    }
  }

  @Test
  void theTtlStopsARunningExecWith124AndLaterCommandsSaySo() throws Exception {
    String h = start("--ttl", "8s");

    FinishedCommand cut = tb("session", "exec", "--session", h, "--", "sleep", "120");
    FinishedCommand later = tb("session", "exec", "--session", h, "--", "true");
    FinishedCommand end = tb("session", "end", "--session", h);

    assertThat(cut.status()).as(cut.all()).isEqualTo(124);
    assertThat(later.status()).as(later.all()).isEqualTo(124);
    assertThat(later.stderr()).contains("ttl expired");
    assertThat(end.status()).as(end.all()).isEqualTo(124);
    assertThat(RunArtifacts.bundleText(work.resolve("out"), "events.jsonl")).contains("\"session.ttl_expired\"");
  }

  private FinishedCommand lastStart;
  private final java.util.Map<String, FinishedCommand> starts = new java.util.HashMap<>();

  private FinishedCommand startOf(String handle) {
    return starts.get(handle);
  }

  private String start(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("session", "start", "--task", "SESS-1", "--policy", policy.toString(),
        "--out", work.resolve("out").toString()));
    args.addAll(List.of(extra));
    lastStart = tb(args.toArray(String[]::new));
    assertThat(lastStart.status()).as(lastStart.all()).isZero();
    String handle = lastStart.stdout().strip();
    assertThat(handle).doesNotContain("\n");
    assertThat(Path.of(handle).resolve("session.json")).exists();
    handles.add(handle);
    starts.put(handle, lastStart);
    return handle;
  }

  private static long supervisorPid(String stderr) {
    Matcher m = Pattern.compile("supervisor: pid (\\d+)").matcher(stderr);
    assertThat(m.find()).as(stderr).isTrue();
    return Long.parseLong(m.group(1));
  }

  private FinishedCommand tb(String... args) throws Exception {
    return tb(java.util.Map.of(), args);
  }

  private FinishedCommand tb(java.util.Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(REPO.resolve("bin/taskbound").toString());
    command.addAll(List.of(args));
    java.util.Map<String, String> all = new java.util.LinkedHashMap<>(java.util.Map.of(
        "XDG_CACHE_HOME", work.resolve("cache").toString(), "TASKBOUND_HOME", work.resolve("home").toString(),
        "TASKBOUND_JAR", JAR.toString()));
    all.putAll(env);
    return FinishedCommand.run(command, ws, all, Duration.ofSeconds(180));
  }
}

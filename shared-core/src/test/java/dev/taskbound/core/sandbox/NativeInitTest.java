package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.testing.AgentOwner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native sandbox init (issue 11, F6; issues 13 and 19: the sandbox's start): carried by the
 * build, chosen whenever the launcher offers the hand-off, holding nothing but its standard streams
 * while the agent runs, and not dumpable, checked from the host. The agent's side of the same
 * check is in {@code KernelSurfaceEscapeTest}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NativeInitTest {
  @TempDir static Path dir;
  static SandboxHarness h;
  static NetnsSandbox sandbox;

  @BeforeAll
  static void start() throws Exception {
    h = new SandboxHarness(dir);
    sandbox = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), List.of(), InitCommand.current());
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  @Test
  void theBuildCarriesTheNativeInitForThisArchitecture() {
    Optional<NativeInit> bundled = NativeInit.bundled(System.getProperty("os.arch"));

    assertThat(bundled).as("scripts/build-native-init.sh needs gcc and libc6-dev (scripts/test-prerequisites.sh)").isPresent();
    assertThat(bundled.get().architecture()).isIn("x86_64", "aarch64");
    assertThat(NativeInit.bundled("sparc")).isEmpty();
  }

  @Test
  void aLaunchWithAHandOffStartsTheNativeInitAndOneWithoutItTheJvm() throws Exception {
    SandboxProcess withHandOff = sandbox.start(h.launch(List.of("true"), List.of()));
    SandboxHarness.Result first = h.run(withHandOff);
    SandboxProcess forwarding = sandbox.start(h.launch(List.of("true"), List.of()).withListenerSink(null));
    SandboxHarness.Result second = h.run(forwarding);
    SandboxProcess jvmOnly = sandbox.jvmInitOnly().start(h.launch(List.of("true"), List.of()));
    SandboxHarness.Result third = h.run(jvmOnly);

    assertThat(List.of(first.status(), second.status(), third.status())).containsOnly(0);
    assertThat(withHandOff.confinement()).containsEntry("init", "native");
    assertThat(forwarding.confinement()).containsEntry("init", "jvm");
    assertThat(jvmOnly.confinement()).containsEntry("init", "jvm");
  }

  @Test
  void bothInitsGiveTheAgentTheSameEnvironmentButForThePort() throws Exception {
    java.util.Map<String, String> given = java.util.Map.of("JAVA_TOOL_OPTIONS", "  -Xss2m ", "GIT_CONFIG_COUNT", " 2",
        "GIT_CONFIG_KEY_0", "a.b", "NO_PROXY", "example.com", "TB_VALUE", "with = and spaces\tand a tab");
    List<String> env = List.of("env");

    SandboxHarness.Result nativeInit = h.run(sandbox.start(h.launch(env, List.of(), given)));
    SandboxHarness.Result jvmInit = h.run(sandbox.jvmInitOnly().start(h.launch(env, List.of(), given)));

    assertThat(sorted(nativeInit.out())).isEqualTo(sorted(jvmInit.out()));
    assertThat(sorted(nativeInit.out())).contains("GIT_CONFIG_COUNT=3", "GIT_CONFIG_KEY_2=http.proxy", "NO_PROXY=",
        "JAVA_TOOL_OPTIONS=-Xss2m -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=PORT -Dhttps.proxyHost=127.0.0.1"
            + " -Dhttps.proxyPort=PORT -Dhttp.nonProxyHosts=", "TB_VALUE=with = and spaces\tand a tab");
  }

  /** The environment's lines sorted, the proxy port (which each sandbox picks anew) as PORT. */
  private static List<String> sorted(String env) {
    return env.lines().map(l -> l.replaceAll("127\\.0\\.0\\.1:[0-9]+", "127.0.0.1:PORT")
        .replaceAll("Port=[0-9]+", "Port=PORT")).sorted().toList();
  }

  @Test
  void whileTheAgentRunsTheNativeInitHoldsOnlyItsStandardStreamsAndIsNotDumpable() throws Exception {
    String marker = "97" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    SandboxProcess p = sandbox.start(h.launch(List.of("sleep", marker), List.of()));
    List<String> descriptors;
    PosixFileAttributes environ;
    PosixFileAttributes agentsEnviron;
    String initName;
    try {
      ProcessHandle agent = awaitSleeper(marker);
      ProcessHandle init = agent.parent().orElseThrow();
      initName = Files.readString(Path.of("/proc", Long.toString(init.pid()), "comm")).strip();

      try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(init.pid()), "fd"))) {
        descriptors = fds.map(f -> f.getFileName().toString()).sorted().toList();
      }
      environ = Files.readAttributes(Path.of("/proc", Long.toString(init.pid()), "environ"), PosixFileAttributes.class);
      agentsEnviron = Files.readAttributes(Path.of("/proc", Long.toString(agent.pid()), "environ"), PosixFileAttributes.class);
    } finally {
      p.destroyTree();
    }

    assertThat(initName).isEqualTo("init");
    assertThat(descriptors).as("no control, hand-off or listening socket is left in init").containsExactly("0", "1", "2");
    // A process that is not dumpable has its /proc files owned by root, not by its own (the agent's) user.
    assertThat(agentsEnviron.owner().getName()).isNotEqualTo("root");
    assertThat(environ.owner().getName()).isEqualTo("root");
  }

  /**
   * LOW-3: the agent, the init's user, stops its init with SIGSTOP and leaves a process in the
   * background. A stopped init can neither reap the agent nor end the sandbox; the host's watch on
   * the agent ends it when the agent exits, with the agent's status, and says so.
   */
  @Test
  void anAgentThatStopsItsInitStillEndsTheSandboxWhenItExits() throws Exception {
    String marker = "96" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    // SIGSTOP takes effect when init next runs: the agent waits (bounded) until init shows it stopped
    Path go = launched();
    String agent = "sleep " + marker + " & read go < " + go + "; kill -STOP $PPID;"
        + " for i in $(seq 200); do grep -q '^State:.T' /proc/$PPID/status && break; sleep 0.05; done;"
        + " grep '^State' /proc/$PPID/status; kill -0 $! && echo sleeper alive; exit 5";
    SandboxProcess p = sandbox.start(h.launch(List.of("sh", "-c", agent), List.of()));
    Files.writeString(go, "go\n");

    SandboxHarness.Result r = h.run(p); // waits at most 60 s: without the watch, until the sleeper ends (> 11 days)

    assertThat(r.out()).as(r.err()).isEqualTo("State:\tT (stopped)\nsleeper alive\n");
    assertThat(r.status()).isEqualTo(5);
    assertThat(p.ending()).containsEntry("ended_by", "host watch")
        .hasEntrySatisfying("reason", why -> assertThat(why).asString().contains("its init was stopped"));
    assertThat(awaitGone(marker)).as("what the agent left running went with the sandbox").isEmpty();
  }

  /**
   * The watch follows the process the init started, named by the pid in the init's reply, not the
   * init's first child. Construction: the init is started by a shell that first puts a long sleep in
   * the background and then execs the init (the sandbox's chain execs each step the same way), so
   * the init has a child that is not the agent, with a lower pid (what a pid wrap-around or an
   * adopted orphan would give). The agent stops its init and exits 5. Watching the init's first
   * child (the sleep, which never exits) the run would not end: "did not finish within 60 s".
   */
  @Test
  void theHostWatchFollowsTheAgentAndNotAChildTheInitHadBeforeIt() throws Exception {
    String decoy = "95" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    Path go = launched();
    String agent = "read go < " + go + "; kill -STOP $PPID;"
        + " for i in $(seq 200); do grep -q '^State:.T' /proc/$PPID/status && break; sleep 0.05; done;"
        + " grep '^State' /proc/$PPID/status; exit 5";
    NativeInit nativeInit = NativeInit.bundled(System.getProperty("os.arch")).orElseThrow();
    SandboxProcess p = InitLauncher.launch("test", h.launch(List.of("sh", "-c", agent), List.of()), control -> {
      Path installed = nativeInit.installIn(control.getParent()).orElseThrow();
      return List.of("/bin/sh", "-c", "sleep \"$0\" & exec \"$1\" \"$2\"", decoy, installed.toString(), control.toString());
    }, Optional.empty(), java.util.Map.of());
    Files.writeString(go, "go\n");

    SandboxHarness.Result r = h.run(p); // waits at most 60 s

    assertThat(r.out()).as(r.err()).isEqualTo("State:\tT (stopped)\n");
    assertThat(r.status()).isEqualTo(5);
    assertThat(p.ending()).containsEntry("ended_by", "host watch")
        .hasEntrySatisfying("reason", why -> assertThat(why).asString().contains("its init was stopped"));
    assertThat(awaitGone(decoy)).as("the init's other child went with the sandbox").isEmpty();
  }

  /**
   * The launcher finds the init by what its reply says of it (its pid in its own namespace and its
   * start time), not as a first child down the chain. Construction: the chain's first process is a
   * shell that puts a long sleep in the background and then starts the init as its second child, so
   * the first child, with the lower pid, is not the init (what an orphan adopted by bwrap's pid 1
   * would be). The agent stops its init and exits 5: only a watch on the init's own child ends the
   * run. Taking the sleep for the init, the watch found no agent: "did not finish within 60 s".
   */
  @Test
  void theHostWatchFindsTheInitThatRepliedAndNotAnEarlierChildOfTheChain() throws Exception {
    String decoy = "94" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    Path go = launched();
    String agent = "read go < " + go + "; kill -STOP $PPID;"
        + " for i in $(seq 200); do grep -q '^State:.T' /proc/$PPID/status && break; sleep 0.05; done;"
        + " grep '^State' /proc/$PPID/status; exit 5";
    SandboxProcess p = launchAfterAnEarlierChild(decoy, List.of("sh", "-c", agent));
    Files.writeString(go, "go\n");

    SandboxHarness.Result r = h.run(p); // waits at most 60 s

    assertThat(r.out()).as(r.err()).isEqualTo("State:\tT (stopped)\n");
    assertThat(r.status()).isEqualTo(5);
    assertThat(p.ending()).containsEntry("ended_by", "host watch")
        .hasEntrySatisfying("reason", why -> assertThat(why).asString().contains("its init was stopped"));
    assertThat(awaitGone(decoy)).as("the chain's other child went with the sandbox").isEmpty();
  }

  /**
   * {@code terminate()} sends SIGTERM to the init that replied, which passes it on to the agent; the
   * chain's earlier child (the same construction) is not signalled. Sent to that child instead, the
   * agent (a long sleep) would run on: "did not finish within 60 s".
   */
  @Test
  void terminateSignalsTheInitThatRepliedAndNotAnEarlierChildOfTheChain() throws Exception {
    String decoy = "93" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    String agentsSleep = "92" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    SandboxProcess p = launchAfterAnEarlierChild(decoy, List.of("sleep", agentsSleep));

    p.terminate(); // the init passes SIGTERM on to the agent, whether or not it has exec'd sleep yet
    SandboxHarness.Result r = h.run(p); // waits at most 60 s

    assertThat(r.status()).as(r.err()).isEqualTo(128 + 15);
    assertThat(r.out()).as("the chain's first child was not signalled").isEqualTo("earlier child untouched\n");
    assertThat(awaitGone(agentsSleep)).isEmpty();
  }

  /**
   * Fail closed: an init the launcher cannot find by its reply is not guessed at. Construction: the
   * chain starts the init in a time namespace of its own (unshare --time, a boot clock 100000 s
   * ahead; not root, in a user namespace of its own), so the start time it reports is not
   * the one the host reads. The launch fails, says why,
   * and the sandbox, with the agent it had started, is killed: nothing is left to be signalled on a
   * guess.
   */
  @Test
  void aSandboxWhoseInitCannotBeFoundByItsReplyIsKilledAndTheLaunchFails() throws Exception {
    String agentsSleep = "91" + ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    NativeInit nativeInit = NativeInit.bundled(System.getProperty("os.arch")).orElseThrow();
    Path unshare = SandboxTools.find(SandboxTools.defaultSearchPath(null), "unshare", "util-linux");

    assertThatThrownBy(() -> InitLauncher.launch("test", h.launch(List.of("sleep", agentsSleep), List.of()), control -> {
      Path installed = nativeInit.installIn(control.getParent()).orElseThrow();
      List<String> a = new ArrayList<>(List.of(unshare.toString()));
      if (!AgentOwner.root()) {
        a.addAll(List.of("--user", "--map-root-user")); // root keeps its own: the workspace is another user's
      }
      a.addAll(List.of("--time", "--boottime", "100000", installed.toString(), control.toString()));
      return a;
    }, Optional.empty(), java.util.Map.of()))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("the test sandbox's init (pid ")
        .hasMessageContaining("it was killed, as no signal goes to a process that may not be its init");
    assertThat(awaitGone(agentsSleep)).as("the agent went with the sandbox").isEmpty();
  }

  /**
   * Starts the native init as the second child of a shell whose first child is {@code sleep
   * decoy}; once the init has exited the shell says whether that sleep still runs, ends it and
   * exits with the init's status.
   */
  private static SandboxProcess launchAfterAnEarlierChild(String decoy, List<String> agent) {
    NativeInit nativeInit = NativeInit.bundled(System.getProperty("os.arch")).orElseThrow();
    String chain = "sleep \"$0\" & \"$1\" \"$2\"; st=$?; kill -0 $! && echo earlier child untouched; kill $!; exit $st";
    return InitLauncher.launch("test", h.launch(agent, List.of()), control -> {
      Path installed = nativeInit.installIn(control.getParent()).orElseThrow();
      return List.of("/bin/sh", "-c", chain, decoy, installed.toString(), control.toString());
    }, Optional.empty(), java.util.Map.of());
  }

  /** The ordinary way: the init reports the agent's status, and the watch adds nothing. */
  @Test
  void anInitThatIsNotStoppedEndsTheSandboxItselfAndTheWatchAddsNothing() throws Exception {
    SandboxProcess p = sandbox.start(h.launch(List.of("sh", "-c", "exit 6"), List.of()));

    SandboxHarness.Result r = h.run(p);

    assertThat(r.status()).as(r.err()).isEqualTo(6);
    assertThat(p.ending()).isEmpty();
  }

  /** The processes running {@code sleep marker}, once there are none or after 20 s (a SIGKILLed tree is reaped soon after). */
  private static List<ProcessHandle> awaitGone(String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<ProcessHandle> left = sleepers(marker);
    for (int i = 0; i < 2000 && !left.isEmpty() && System.nanoTime() < deadline; i++) {
      TimeUnit.MILLISECONDS.sleep(10); // polling: no event exists for another process's exit here
      left = sleepers(marker);
    }
    return left;
  }

  private static List<ProcessHandle> sleepers(String marker) {
    return ProcessHandle.allProcesses()
        .filter(ph -> ph.info().arguments().map(a -> a.length == 1 && a[0].equals(marker)).orElse(false)).toList();
  }

  private static ProcessHandle awaitSleeper(String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int i = 0; i < 2000 && System.nanoTime() < deadline; i++) {
      List<ProcessHandle> found = new ArrayList<>();
      ProcessHandle.allProcesses()
          .filter(ph -> ph.info().arguments().map(a -> a.length == 1 && a[0].equals(marker)).orElse(false))
          .forEach(found::add);
      if (!found.isEmpty()) {
        return found.get(0);
      }
      TimeUnit.MILLISECONDS.sleep(10); // polling: no event exists for "a process exec'd"
    }
    throw new AssertionError("the agent 'sleep " + marker + "' did not appear within 20 s");
  }

  /**
   * A FIFO the agent reads before it stops its init: the test writes to it once the launch has
   * returned, that is once the init has replied. An init stopped before its reply never replies,
   * and the launch fails after its 20 s (fail closed, but not what these tests are about).
   */
  private static Path launched() throws Exception {
    Path fifo = dir.resolve("launched-" + ThreadLocalRandom.current().nextInt(1_000_000));
    Process mkfifo = new ProcessBuilder("mkfifo", "-m", "0666", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0).as("mkfifo " + fifo).isTrue();
    return fifo;
  }
}

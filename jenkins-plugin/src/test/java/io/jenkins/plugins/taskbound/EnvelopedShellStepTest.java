package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable {@code sh} step's command in a real envelope: the core CLI the plugin bundles (the
 * shaded jar), the block's session ({@code session start}, {@code session exec} per step, {@code
 * session end}) with the netns sandbox, the plugin's reporter; and {@code run} refusing a TTL. No Jenkins
 * needed; Linux with root or unprivileged user namespaces, as {@link TaskboundStepTest}.
 */
class EnvelopedShellStepTest {
  @TempDir static Path shared;
  private static Path core;

  @TempDir Path root;

  @BeforeAll
  static void extractTheBundledCore() throws IOException {
    URL bundled = EnvelopedShellStepTest.class.getResource(CoreJarCache.BUNDLED_RESOURCE);
    assertNotNull(bundled, CoreJarCache.BUNDLED_RESOURCE + " is bundled by the build (process-resources)");
    DurableFixture.traversable(shared); // the sandbox's init runs from this jar as the agent's user
    core = shared.resolve("taskbound.jar");
    try (InputStream in = bundled.openStream()) {
      Files.copy(in, core);
    }
  }

  @Test
  void runsEachScriptOfABlockInTheBlocksSessionWithItsStatusAndOneBundle() throws Exception {
    DurableFixture first = DurableFixture.of(root, "echo from-the-script; exit 3");
    DurableFixture second = DurableFixture.of(root, "echo second-script", "durable-4a5b6c7d");
    String handle = startSession(first);
    SessionOpening opening = SessionOpening.parse(lastStart.output);

    String firstResult = first.launch(sessionExec(handle), null);
    String secondResult = second.launch(sessionExec(handle), null);
    Cli end = core(first, "session", "end", "--session", handle);
    Path bundle;
    try (Stream<Path> bundles = Files.list(first.workspace().resolve("taskbound-evidence"))) {
      bundle = bundles.filter(p -> p.getFileName().toString().endsWith(".zip")).findFirst().orElseThrow();
    }
    // what the build page shows, and the reviewer's check against the kid Jenkins recorded at open
    EvidenceFacts facts = EvidenceFacts.ofBundle(bundle);
    Cli verify = core(first, "verify", "--expect-kid", opening.kid(), bundle.toString());
    Cli forged = core(first, "verify", "--expect-kid", "A".repeat(43), bundle.toString()); // another key's kid

    assertEquals("3", firstResult);
    assertEquals("0", secondResult);
    assertTrue(first.log().contains("from-the-script\n"), first.log());
    assertTrue(second.log().contains("second-script\n"), second.log());
    assertEquals(0, end.status, end.output);
    assertTrue(end.output.contains("seal-evidence"), end.output);
    try (Stream<Path> bundles = Files.list(first.workspace().resolve("taskbound-evidence"))) {
      assertEquals(1, bundles.filter(p -> p.getFileName().toString().matches("T-1-.+\\.zip")).count());
    }
    assertTrue(bundle.getFileName().toString().contains(opening.session()), bundle + " is session " + opening.session());
    assertEquals("failed (command 1 of 2 exited 3)", facts.outcome());
    assertEquals("3", facts.exitCode());
    assertEquals(2, facts.commands());
    assertEquals(0, verify.status, verify.output);
    assertEquals(1, forged.status, forged.output);
  }

  /**
   * The reporter and durable-task write and read the control directory by name on the host: the
   * agent inside may write only the directory made for it, so it cannot plant a link there for them
   * to follow (a status written through {@code jenkins-result.txt.tmp} into a host file, a host file
   * read back as the log or as returnStdout's output).
   */
  @Test
  void aStepsAgentCannotPlantLinksWhereTheHostWritesAndReads() throws Exception {
    Path victim = Files.writeString(root.resolve("victim.txt"), "untouched\n");
    DurableFixture step = DurableFixture.of(root, String.join("\n",
        "set +e",
        "ctl=$(dirname \"$(dirname \"$0\")\")",
        "for f in jenkins-result.txt.tmp jenkins-log.txt output.txt; do",
        "  if ln -sf '" + victim + "' \"$ctl/$f\" 2>/dev/null; then echo \"planted $f\"; else echo \"refused $f\"; fi",
        "done",
        "echo \"sees: $(ls \"$ctl\" | tr '\\n' ' ')\"",
        "exit 0"), "durable-5e6f7a8b");
    String handle = startSession(step);

    String result = step.launch(sessionExec(handle), null);
    Cli end = core(step, "session", "end", "--session", handle);

    assertEquals("0", result, step.log());
    String log = step.log();
    for (String f : List.of("jenkins-result.txt.tmp", "jenkins-log.txt", "output.txt")) {
      assertTrue(log.contains("refused " + f + "\n"), log);
    }
    assertTrue(log.contains("sees: script.sh taskbound \n"), log);
    assertEquals("untouched\n", Files.readString(victim));
    assertFalse(Files.isSymbolicLink(step.controlDir().resolve("jenkins-log.txt")));
    assertEquals(0, end.status, end.output);
  }

  /**
   * Review finding: the launch ran {@code nohup sh}, and the reporter its tools, by the step's PATH,
   * on the host. An agent that wrote {@code sh} into a directory on that PATH ({@code withEnv(["PATH+NODE=
   * ${pwd()}/node_modules/.bin"])}) had the next step's host side run it as the agent's host user
   * (root in CI), outside the envelope; {@code JAVA_TOOL_OPTIONS} from {@code withEnv} reached the
   * host's JVM. The command inside still gets the step's PATH.
   */
  @Test
  void theHostSideOfAStepRunsNothingFromTheStepsPathNorTakesCodeFromItsEnvironment() throws Exception {
    Path escaped = root.resolve("ran-on-the-host");
    DurableFixture plant = DurableFixture.of(root, String.join("\n",
        "mkdir -p bin",
        "printf '#!/bin/sh\\ntouch " + escaped + " 2>/dev/null\\nexec /bin/sh \"$@\"\\n' > bin/sh",
        "chmod 755 bin/sh",
        "echo planted"), "durable-6a7b8c9d");
    DurableFixture next = DurableFixture.of(root, "echo \"path: $PATH\"", "durable-7b8c9d0e");
    String handle = startSession(plant);
    java.util.Map<String, String> withEnv = java.util.Map.of(
        "PATH", plant.workspace().resolve("bin") + ":" + System.getenv("PATH"), "JAVA_TOOL_OPTIONS", "-Dtaskbound.test=1");

    String planted = plant.launch(sessionExec(handle), null);
    String result = next.launch(sessionExec(handle), null, withEnv);
    Cli end = core(plant, "session", "end", "--session", handle);

    assertEquals("0", planted, plant.log());
    assertTrue(plant.log().contains("planted\n"), plant.log());
    assertEquals("0", result, next.log());
    assertFalse(Files.exists(escaped), "the agent's sh ran on the host; log: " + next.log());
    assertFalse(next.log().contains("Picked up JAVA_TOOL_OPTIONS"), next.log());
    assertTrue(next.log().contains("path: " + plant.workspace().resolve("bin") + ":"), next.log());
    assertEquals(0, end.status, end.output);
  }

  @Test
  void failsWith120AndTheCoresMessageWhenRunRefusesTheTtl() throws Exception {
    DurableFixture step = DurableFixture.of(root, "echo block-ran");

    String result = step.launch(envelope(step, "--ttl", "999h"), null);

    assertEquals("120", result);
    String log = step.log();
    assertTrue(log.contains("error: --ttl 999h widens the policy"), log);
    assertTrue(log.contains(EnvelopeExit.message(120)), log);
    assertFalse(log.contains("block-ran"), log);
  }

  @Test
  void failsWith124WhenTheSessionsTtlExpires() throws Exception {
    DurableFixture step = DurableFixture.of(root, "echo started; sleep 60; echo slept");
    String handle = startSession(step, "--ttl", "10s");

    String result = step.launch(sessionExec(handle), null);
    // as the step's tail call does; it also waits for the TTL's teardown, which writes into this test's directory
    Cli end = core(step, "session", "end", "--session", handle);

    assertEquals("124", result);
    String log = step.log();
    assertTrue(log.contains(EnvelopeExit.message(124)), log);
    assertFalse(log.contains("slept\n"), log);
    assertEquals(124, end.status, end.output);
  }

  /** {@code session start} as the step runs it; returns the handle. */
  private static String startSession(DurableFixture step, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("session", "start", "--task", "T-1", "--policy", policy(step).toString(),
        "--sandbox", "netns"));
    args.addAll(List.of(options));
    args.addAll(List.of("--out", step.workspace().resolve("taskbound-evidence").toString()));
    Cli start = core(step, args.toArray(String[]::new));
    lastStart = start;
    assertEquals(0, start.status, start.output);
    return SessionHandle.parse(start.stdout).path();
  }

  private static List<String> sessionExec(String handle) {
    return new EnvelopeCommand(java(), core.toString(), "T-1", List.of("p.yml"), null, null, null, null, null, "/unused")
        .sessionExec(new SessionHandle(handle));
  }

  private record Cli(int status, String stdout, String output) {}

  private static Cli lastStart;

  private static Cli core(DurableFixture step, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java(), "-jar", core.toString()));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile(step.workspace().getParent(), "core-", ".err");
    Process p = new ProcessBuilder(cmd).directory(step.workspace().toFile())
        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, java.util.concurrent.TimeUnit.SECONDS), "taskbound " + args[0] + " " + args[1] + " returns");
    String all = out + Files.readString(err);
    return new Cli(p.exitValue(), out, all);
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Path policy(DurableFixture step) throws IOException {
    Path policy = step.workspace().resolve("p.yml");
    if (!Files.exists(policy)) {
      try (InputStream in = EnvelopedShellStepTest.class.getResourceAsStream("minimal-policy.yml")) {
        assertNotNull(in, "minimal-policy.yml is a test resource");
        Files.copy(in, policy);
      }
    }
    return policy;
  }

  private static List<String> envelope(DurableFixture step, String... options) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(java(), "-jar", core.toString(),
        "run", "--task", "T-1", "--policy", policy(step).toString(), "--sandbox", "netns"));
    cmd.addAll(List.of(options));
    cmd.addAll(List.of("--out", step.workspace().resolve("taskbound-evidence").toString(), "--"));
    return cmd;
  }
}

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
 * shaded jar), {@code taskbound run} with the netns sandbox, the plugin's reporter. No Jenkins
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
    core = shared.resolve("taskbound.jar");
    try (InputStream in = bundled.openStream()) {
      Files.copy(in, core);
    }
  }

  @Test
  void runsTheScriptInTheEnvelopeWithItsStatusAndTheEnvelopesLinesInTheLog() throws Exception {
    DurableFixture step = DurableFixture.of(root, "echo from-the-script; exit 3");

    String result = step.launch(envelope(step), null);

    assertEquals("3", result);
    String log = step.log();
    assertTrue(log.contains("taskbound: task T-1, session "), log);
    assertTrue(log.contains("from-the-script\n"), log);
    assertTrue(log.contains("teardown ok"), log);
    try (Stream<Path> bundles = Files.list(step.workspace().resolve("taskbound-evidence"))) {
      assertEquals(1, bundles.filter(p -> p.getFileName().toString().matches("T-1-.+\\.zip")).count());
    }
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
  void failsWith124WhenTheTtlExpires() throws Exception {
    DurableFixture step = DurableFixture.of(root, "echo started; sleep 60; echo slept");

    String result = step.launch(envelope(step, "--ttl", "3s"), null);

    assertEquals("124", result);
    String log = step.log();
    assertTrue(log.contains("started\n"), log);
    assertTrue(log.contains(EnvelopeExit.message(124)), log);
    assertFalse(log.contains("slept\n"), log);
  }

  private static List<String> envelope(DurableFixture step, String... options) throws IOException {
    Path policy = step.workspace().resolve("p.yml");
    try (InputStream in = EnvelopedShellStepTest.class.getResourceAsStream("minimal-policy.yml")) {
      assertNotNull(in, "minimal-policy.yml is a test resource");
      Files.copy(in, policy);
    }
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", core.toString(),
        "run", "--task", "T-1", "--policy", policy.toString(), "--sandbox", "netns"));
    cmd.addAll(List.of(options));
    cmd.addAll(List.of("--out", step.workspace().resolve("taskbound-evidence").toString(), "--"));
    return cmd;
  }
}

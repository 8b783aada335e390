package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 3: the session's private keys (the identity issuer's JWT-SVID key and the evidence
 * sealing key) live only in the memory of the process that uses them. While the agent runs, and
 * while a session supervisor holds a session open across steps, no file Taskbound keeps (the state
 * directory, the runtime directory, TASKBOUND_HOME, the evidence directory) holds a private key: no
 * JWK with the private member {@code d}, no PEM private key. The state directory does hold both
 * keys' public halves ({@code jwks.json}), so the scan looks where a written key would be.
 */
@Timeout(240)
class SessionKeysStayInMemoryTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Pattern PRIVATE_JWK_MEMBER = Pattern.compile("\"d\"\\s*:\\s*\"");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void whileTheAgentRunsNoFileOfTheSessionHoldsAPrivateKey() throws Exception {
    Path started = fifo("agent-started.fifo");
    Path release = fifo("agent-release.fifo");
    List<String> found;
    Path stateDir;
    int status;
    try (CliProcess run = taskbound("run", "--task", "T-KEYS", "--policy", policy().toString(), "--out",
        work.resolve("evidence").toString(), "--", "sh", "-c", "echo up > \"$1\"; read line < \"$2\"", "agent",
        started.toString(), release.toString())) {
      stateDir = RunArtifacts.stateDir(run, WAIT);
      // Blocks until the agent runs; it then waits for the release, so the scan sees the live session.
      String said = new String(Files.readAllBytes(started), StandardCharsets.UTF_8).strip();
      assertThat(said).isEqualTo("up");
      assertPublicKeysArePublished(stateDir);
      found = privateKeysUnder(stateDir, runtimeRoot(), home(), work.resolve("evidence"));
      Files.writeString(release, "go\n");
      status = run.waitFor(WAIT);
    }

    assertThat(found).isEmpty();
    assertThat(status).isZero();
  }

  @Test
  void whileASupervisorHoldsASessionAcrossStepsNoFileOfTheSessionHoldsAPrivateKey() throws Exception {
    String handle;
    try (CliProcess start = taskbound("session", "start", "--task", "T-KEYS", "--policy", policy().toString(), "--out",
        work.resolve("evidence").toString())) {
      assertThat(start.waitFor(WAIT)).as(start.stderr()).isZero();
      handle = start.stdout().strip();
    }
    Path stateDir = Path.of(handle);
    List<String> found;
    try {
      assertPublicKeysArePublished(stateDir);
      found = privateKeysUnder(stateDir, runtimeRoot(), home(), work.resolve("evidence"));
    } finally {
      try (CliProcess end = taskbound("session", "end", "--session", handle)) {
        assertThat(end.waitFor(WAIT)).as(end.stderr()).isZero();
      }
    }

    assertThat(found).isEmpty();
  }

  /** Two keys with kids in the state directory's jwks.json: the identity's and the sealing key's. */
  private static void assertPublicKeysArePublished(Path stateDir) throws IOException {
    JsonNode keys = JSON.readTree(stateDir.resolve("jwks.json").toFile()).path("keys");
    assertThat(keys).hasSize(2);
    List<String> uses = new ArrayList<>();
    keys.forEach(k -> uses.add(k.path("use").asText()));
    assertThat(uses).containsExactlyInAnyOrder("jwt-svid", "sig");
  }

  /** Every regular file under {@code roots} that holds a private JWK member or a PEM private key. */
  private static List<String> privateKeysUnder(Path... roots) throws IOException {
    java.util.Set<String> found = new java.util.TreeSet<>(); // the state directory may lie under TASKBOUND_HOME
    int scanned = 0;
    for (Path root : roots) {
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
          String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
          scanned++;
          if (PRIVATE_JWK_MEMBER.matcher(text).find() || text.contains("PRIVATE KEY")) {
            found.add(p.toString());
          }
        }
      }
    }
    assertThat(scanned).as("files scanned").isGreaterThanOrEqualTo(4);
    return List.copyOf(found);
  }

  private Path fifo(String name) throws Exception {
    Path fifo = work.resolve(name);
    assertThat(new ProcessBuilder("mkfifo", "-m", "0666", fifo.toString()).start().waitFor()).isZero();
    Files.setPosixFilePermissions(fifo, PosixFilePermissions.fromString("rw-rw-rw-"));
    return fifo;
  }

  private Path home() throws IOException {
    return Files.createDirectories(work.resolve("home"));
  }

  private Path runtimeRoot() throws IOException {
    return Files.createDirectories(work.resolve("rt"));
  }

  private CliProcess taskbound(String... args) throws IOException {
    return CliProcess.start(work, Map.of("TASKBOUND_HOME", home().toString(), "TASKBOUND_RUNTIME_DIR",
        runtimeRoot().toString()), args);
  }

  private Path policy() throws IOException {
    return Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1", "kind: Task", "spec:", "  ttl: 10m", "  sandbox:", "    backends: [netns]", ""));
  }
}

package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvidenceLogTest {
  private static final String SESSION = "01jq8m3v0p4k2r7s9t1w";

  @TempDir Path dir;

  private final Clock clock = SampleSession.steppingClock(Instant.parse("2026-11-27T10:00:00Z"));

  @Test
  void theWarmUpComputesAWholeValidLineAsAnAppendWould() {
    // a warm-up that stopped short (or threw, which the open ignores) would warm nothing
    Chain.Result result = Chain.check(List.of(EvidenceLog.warmUp()));

    assertThat(result.ok()).as("chain check: %s", result.problem()).isTrue();
    assertThat(result.events()).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo("session.opened");
      assertThat(e.data().path("at").asText()).isEqualTo("1970-01-01T00:00:00Z");
    });
  }

  @Test
  void chainsLinesFromTheGenesisValueInAnOwnerOnlyFile() throws Exception {
    Path file = dir.resolve("events.jsonl");

    try (EvidenceLog log = EvidenceLog.create(file, SESSION, clock)) {
      EvidenceEvent first = log.append("session.opened", Map.of("task", "JIRA-42"));
      EvidenceEvent second = log.append("gateway.started", Map.of("socket", "/tmp/g.sock"));

      assertThat(first.seq()).isEqualTo(1);
      assertThat(first.prev()).isEqualTo("sha256:" + "0".repeat(64)).isEqualTo(EvidenceEvent.GENESIS);
      assertThat(second.seq()).isEqualTo(2);
      assertThat(second.prev()).isEqualTo(first.hash());
      assertThat(log.lastHash()).isEqualTo(second.hash());
      assertThat(log.count()).isEqualTo(2);
    }

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("{\"data\":{\"task\":\"JIRA-42\"},\"hash\":\"sha256:")
        .endsWith(",\"prev\":\"" + EvidenceEvent.GENESIS + "\",\"seq\":1,\"session\":\"" + SESSION
            + "\",\"ts\":\"2026-11-27T10:00:00.000Z\",\"type\":\"session.opened\"}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
  }

  @Test
  void hashIsSha256OfTheDocumentedCanonicalForm() throws Exception {
    // An independent re-implementation of docs/evidence.md: sorted keys, no whitespace, no "hash".
    Path file = dir.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, SESSION, clock)) {
      log.append("agent.started", Map.of("command", List.of("sh", "-c", "echo \"é\\n\""), "pid", 7, "nested", Map.of("z", 1, "a", true)));
    }
    String line = Files.readAllLines(file, StandardCharsets.UTF_8).get(0);
    ObjectMapper sorted = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    Map<String, Object> parsed = sorted.readValue(line, new TypeReference<TreeMap<String, Object>>() {});
    String hash = (String) parsed.remove("hash");
    byte[] canonical = sorted.writeValueAsBytes(parsed);

    String expected = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
    assertThat(hash).isEqualTo(expected);
    parsed.put("hash", hash);
    assertThat(sorted.writeValueAsString(parsed)).isEqualTo(line);
  }

  /**
   * The string form docs/evidence.md gives, pinned byte for byte: a verifier written from the docs
   * alone must hash what we hash, and a Jackson that wrote strings otherwise would change the
   * canonical form of every bundle already sealed. Review finding: the docs said all non-ASCII was
   * literal UTF-8, but characters beyond U+FFFF are written as their surrogate pair's escapes.
   */
  @Test
  void stringsAreWrittenInTheDocumentedCanonicalForm() throws Exception {
    Path file = dir.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, SESSION, clock)) {
      log.append("agent.started", Map.of("s", "a/\u00e9\u0001\u001f\t\n\"\\\u007f\u2028\ud83d\ude80"));
    }

    String line = Files.readAllLines(file, StandardCharsets.UTF_8).get(0);

    assertThat(line).contains("\"s\":\"a/\u00e9\\u0001\\u001F\\t\\n\\\"\\\\\u007f\u2028\\uD83D\\uDE80\"");
  }

  @Test
  void writesInstantsAndDurationsInDataAsIsoStrings() {
    try (EvidenceLog log = EvidenceLog.create(dir.resolve("events.jsonl"), SESSION, clock)) {

      EvidenceEvent e = log.append("identity.minted", Map.of("expires_at", Instant.parse("2026-11-27T11:00:00Z"), "ttl", java.time.Duration.ofMinutes(5)));

      assertThat(e.text("expires_at")).isEqualTo("2026-11-27T11:00:00Z");
      assertThat(e.text("ttl")).isEqualTo("PT5M");
    }
  }

  @Test
  void createRefusesAnExistingFile() throws Exception {
    Path file = dir.resolve("events.jsonl");
    Files.writeString(file, "");

    assertThatThrownBy(() -> EvidenceLog.create(file, SESSION, clock))
        .isExactlyInstanceOf(EvidenceException.class)
        .hasMessage("evidence log " + file + " already exists; resume it instead of creating it");
  }

  @Test
  void resumeDropsATornLastLineAndContinuesTheChain() throws Exception {
    Path file = dir.resolve("events.jsonl");
    String third;
    try (EvidenceLog log = EvidenceLog.create(file, SESSION, clock)) {
      log.append("session.opened", Map.of());
      log.append("gateway.started", Map.of());
      third = log.append("agent.started", Map.of("pid", 1)).hash();
    }
    Files.writeString(file, "{\"data\":{\"exit_code\":0},\"hash\":\"sha256:12", StandardOpenOption.APPEND);

    try (EvidenceLog log = EvidenceLog.resume(file, SESSION, clock)) {
      assertThat(log.count()).isEqualTo(3);
      assertThat(log.lastHash()).isEqualTo(third);

      EvidenceEvent next = log.append("agent.exited", Map.of("exit_code", 0));

      assertThat(next.seq()).isEqualTo(4);
      assertThat(next.prev()).isEqualTo(third);
    }
    assertThat(EvidenceLog.read(file)).extracting(EvidenceEvent::type)
        .containsExactly("session.opened", "gateway.started", "agent.started", "agent.exited");
  }

  @Test
  void resumeRefusesABrokenChain() throws Exception {
    Path file = dir.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, SESSION, clock)) {
      log.append("session.opened", Map.of("task", "a"));
      log.append("gateway.started", Map.of());
    }
    Files.writeString(file, Files.readString(file).replace("\"task\":\"a\"", "\"task\":\"b\""));

    assertThatThrownBy(() -> EvidenceLog.resume(file, SESSION, clock))
        .isExactlyInstanceOf(EvidenceException.class)
        .hasMessage("evidence log " + file + ": line 1: hash mismatch (edited?); refusing to continue a broken chain");
  }

  @Test
  void resumeRefusesAnotherSessionsLog() {
    Path file = dir.resolve("events.jsonl");
    try (EvidenceLog log = EvidenceLog.create(file, SESSION, clock)) {
      log.append("session.opened", Map.of());
    }

    assertThatThrownBy(() -> EvidenceLog.resume(file, "01jq8m3v0p4k2r7s9t1x", clock))
        .isExactlyInstanceOf(EvidenceException.class)
        .hasMessage("evidence log " + file + " belongs to session " + SESSION + ", not 01jq8m3v0p4k2r7s9t1x");
  }

  @Test
  void rejectsEventTypesThatAreNotDefined() {
    try (EvidenceLog log = EvidenceLog.create(dir.resolve("events.jsonl"), SESSION, clock)) {
      assertThatThrownBy(() -> log.append("egress.denied.sni-mismatch", Map.of()))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessage("event type 'egress.denied.sni-mismatch' is not defined in dev.taskbound.core.evidence.EventType;"
              + " every type the evidence holds is defined there and listed in docs/evidence.md");
      assertThat(log.count()).isZero();
    }
  }

  @Test
  void concurrentAppendsFromSeveralThreadsKeepAValidChain() throws Exception {
    Path file = dir.resolve("events.jsonl");
    int threads = 4;
    int perThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (EvidenceLog log = EvidenceLog.create(file, SESSION, Clock.systemUTC())) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            log.append(EventType.EGRESS_ALLOWED, Map.of("thread", thread, "i", i));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    List<EvidenceEvent> events = EvidenceLog.read(file);
    Set<String> seen = new HashSet<>();
    events.forEach(e -> seen.add(e.dataMap().get("thread") + "/" + e.dataMap().get("i")));
    assertThat(events).hasSize(threads * perThread);
    assertThat(seen).hasSize(threads * perThread);
  }

  @Test
  void fingerprintIsSha256PrefixWithTwelveHexDigits() {
    String fp = Fingerprint.of("ghs_exampletoken");

    assertThat(fp).matches("sha256:[0-9a-f]{12}").isEqualTo(Fingerprint.of("ghs_exampletoken")).isNotEqualTo(Fingerprint.of("ghs_exampletokeN"));
  }

  /** CI finding: a thread interrupted while it appended (an agent API worker the teardown stopped) closed the log for all. */
  @Test
  void anAppenderThatIsInterruptedLeavesTheLogWritableForTheOthers() throws Exception {
    try (EvidenceLog log = EvidenceLog.create(dir.resolve("interrupted.jsonl"), "s-1", java.time.Clock.systemUTC())) {
      java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
      Thread interrupted = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          log.append(EventType.SECRET_ACCESSED, java.util.Map.of("n", 1));
        } catch (RuntimeException e) {
          failed.set(e);
        }
      });
      interrupted.start();
      interrupted.join();

      log.append(EventType.SESSION_OPENED, java.util.Map.of());

      org.assertj.core.api.Assertions.assertThat(failed.get()).isNull();
      org.assertj.core.api.Assertions.assertThat(log.count()).isEqualTo(2);
    }
  }

  /** Review finding: resuming through a dangling link created its target (the old channel did not create files). */
  @Test
  void resumingADanglingLinkCreatesNothing() throws Exception {
    Path target = dir.resolve("elsewhere.jsonl");
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("linked.jsonl"), target);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EvidenceLog.resume(link, "s-1", java.time.Clock.systemUTC()))
        .isInstanceOf(EvidenceException.class).hasMessageContaining("does not exist");
    org.assertj.core.api.Assertions.assertThat(target).doesNotExist();
  }
}

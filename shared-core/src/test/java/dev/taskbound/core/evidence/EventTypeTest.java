package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: every event type is defined once, written by the real log, and documented. */
class EventTypeTest {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root"));

  @TempDir Path dir;

  @Test
  void everyDefinedTypeIsAppendedByTheRealLogAndTheChainVerifies() {
    Path file = dir.resolve("events.jsonl");

    try (EvidenceLog log = EvidenceLog.create(file, "s-every-type", Clock.systemUTC())) {
      for (EventType type : EventType.values()) {
        log.append(type, Map.of("type_described_as", type.description()));
      }
    }

    List<EvidenceEvent> read = EvidenceLog.read(file); // checks hashes, prev links and seq
    assertThat(read).extracting(EvidenceEvent::type)
        .containsExactlyElementsOf(Arrays.stream(EventType.values()).map(EventType::wireName).toList());
    assertThat(Chain.check(Arrays.asList(readLines(file))).ok()).isTrue();
  }

  @Test
  void wireNamesAreUniqueDottedLowerCaseAndEachHasADescription() {
    Set<String> names = new TreeSet<>();

    for (EventType type : EventType.values()) {
      names.add(type.wireName());

      assertThat(type.wireName()).matches("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");
      assertThat(type.description()).isNotBlank().doesNotContain("\n");
      assertThat(EventType.fromWireName(type.wireName())).contains(type);
    }
    assertThat(names).hasSize(EventType.values().length);
  }

  @Test
  void theEventTableOfDocsEvidenceListsExactlyTheDefinedTypes() throws IOException {
    String doc = Files.readString(REPO.resolve("docs/evidence.md"));
    String section = doc.substring(doc.indexOf("### Event types"));
    section = section.substring(0, section.indexOf("\n\n", section.indexOf("| type |")));

    Set<String> documented = new LinkedHashSet<>();
    Matcher row = Pattern.compile("(?m)^\\| `([a-z0-9_.]+)` \\|").matcher(section);
    while (row.find()) {
      documented.add(row.group(1));
    }

    assertThat(documented)
        .containsExactlyInAnyOrderElementsOf(Arrays.stream(EventType.values()).map(EventType::wireName).toList());
  }

  /** Code that names a type by its wire name (rather than the enum) must name a defined one. */
  @Test
  void everyTypeTheSourcesNameLiterallyIsDefined() throws IOException {
    Pattern literal = Pattern.compile("(?:event|append|accept)\\(\\s*\"([^\"]+)\"");
    Set<String> named = new TreeSet<>();

    try (Stream<Path> files = Files.walk(REPO.resolve("shared-core/src/main/java"))) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        Matcher m = literal.matcher(Files.readString(f));
        while (m.find()) {
          if (m.group(1).matches("[a-z_]+\\.[a-z_.-]+")) {
            named.add(m.group(1));
          }
        }
      }
    }

    assertThat(named).isNotEmpty().contains("session.opened", "teardown.step");
    assertThat(named).allSatisfy(name -> assertThat(EventType.fromWireName(name)).as(name).isPresent());
  }

  private static String[] readLines(Path file) {
    try {
      return Files.readString(file).split("\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

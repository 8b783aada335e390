package dev.taskbound.core.session;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.StubServerTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The org ceiling's read token, read by a keyed {@code credentials issue}, is journalled sealed as
 * the issuer's own credentials are: the file never holds it in clear, and the backstop ({@code
 * teardown --session DIR}) opens it with the same key only. GitHub is a loopback WireMock stand-in.
 */
class SealedCeilingReadJournalTest extends StubServerTest {
  private static final String TOKEN = "ghs_SENTINELceilingREADtoken0123456789";
  private static final JournalKey KEY = JournalKey.parse(Base64.getEncoder().encodeToString(new byte[32]), "test");

  @TempDir Path root;

  @Test
  void aKeyedReadKeepsTheTokenSealedUntilTheBackstopOpensItWithTheKey() throws Exception {
    server.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));
    Path dir;
    try (CeilingReadJournal journal = CeilingReadJournal.create(root, Optional.of(KEY))) {
      dir = journal.dir();
      int id = journal.register("revoke-github-token", Map.of("api_url", server.baseUrl()));
      journal.updateHandle(id, Map.of("api_url", server.baseUrl(), "token", TOKEN));
      // killed before its revoke: the entry stays
    }
    assertThat(Files.readString(dir.resolve(CeilingReadJournal.FILE))).doesNotContain(TOKEN).contains("\"sealed\"");
    assertThat(files(root)).noneMatch(f -> contains(f, TOKEN));

    TeardownReport without = CeilingReadJournal.finish(dir, ctx(), Optional.empty());

    assertThat(without.ok()).isFalse();
    assertThat(without.failures().toString()).contains("journal entry 1 (revoke-github-token) is sealed and no journal key was given");
    server.verify(0, deleteRequestedFor(anyUrl()));

    TeardownReport with = CeilingReadJournal.finish(dir, ctx(), Optional.of(KEY));

    assertThat(with.ok()).as(with.failures().toString()).isTrue();
    server.verify(1, deleteRequestedFor(urlEqualTo("/installation/token")).withHeader("Authorization", equalTo("token " + TOKEN)));
    assertThat(dir).doesNotExist();
  }

  @Test
  void aKeyedReadWhoseMintFailedLeavesNothingBehind() {
    Path dir;
    try (CeilingReadJournal journal = CeilingReadJournal.create(root, Optional.of(KEY))) {
      dir = journal.dir();
      journal.register("revoke-github-token", Map.of("api_url", server.baseUrl()));
    }
    assertThat(dir).doesNotExist();
  }

  private RevocationContext ctx() {
    return RevocationContext.builder().retry(sleeper.retry(2)).requestTimeout(Duration.ofSeconds(5)).build();
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  private static boolean contains(Path file, String text) {
    try {
      return Files.readString(file).contains(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

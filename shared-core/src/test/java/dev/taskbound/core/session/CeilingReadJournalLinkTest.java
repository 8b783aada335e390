package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code teardown --session} runs as root and appends to a ceiling-read journal it recognises, so a
 * journal or directory that is a link is not one (review finding LOW-4: root appended to the
 * link's target and removed the directory).
 */
class CeilingReadJournalLinkTest {
  private static final String ENTRY = "{\"op\":\"register\",\"id\":1,\"step\":\"revoke-github-token\",\"handle\":{}}\n";

  @TempDir Path root;

  @Test
  void aRealDirectoryHoldingTheJournalAsARegularFileIsOne() throws Exception {
    Path dir = Files.createDirectory(root.resolve("ceiling-read-00"));
    Files.writeString(dir.resolve(CeilingReadJournal.FILE), ENTRY);

    assertThat(CeilingReadJournal.isOne(dir)).isTrue();
  }

  @Test
  void aJournalThatIsALinkIsNotOneAndItsTargetIsLeftAlone() throws Exception {
    Path victim = Files.writeString(root.resolve("victim.jsonl"), ENTRY);
    Path dir = Files.createDirectory(root.resolve("ceiling-read-01"));
    Files.createSymbolicLink(dir.resolve(CeilingReadJournal.FILE), victim);

    assertThat(CeilingReadJournal.isOne(dir)).isFalse();
    assertThat(victim).content().isEqualTo(ENTRY);
  }

  @Test
  void aDirectoryThatIsALinkIsNotOne() throws Exception {
    Path elsewhere = Files.createDirectory(root.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve(CeilingReadJournal.FILE), ENTRY);
    Path dir = Files.createSymbolicLink(root.resolve("ceiling-read-02"), elsewhere);

    assertThat(CeilingReadJournal.isOne(dir)).isFalse();
  }
}

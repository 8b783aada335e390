package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeardownJournalTest {
  @TempDir Path dir;

  @Test
  void pendingUndosComeNewestFirstAndSkipCompletedOnes() {
    Path file = dir.resolve("journal.jsonl");
    try (TeardownJournal journal = TeardownJournal.create(file)) {
      int a = journal.register("remove-private-state", Map.of());
      journal.register("seal-evidence", Map.of());
      int c = journal.register("stop-sandbox", Map.of("marker", "/run/x"));
      journal.complete(a, "ok", 1, null);
      journal.complete(c, "failed", 3, "boom");

      assertThat(journal.pending()).extracting(TeardownJournal.Entry::step).containsExactly("stop-sandbox", "seal-evidence");
    }
  }

  @Test
  void aNewProcessSeesHandlesAddedAfterRegistration() {
    Path file = dir.resolve("journal.jsonl");
    try (TeardownJournal journal = TeardownJournal.create(file)) {
      int id = journal.register("stop-sandbox", Map.of("marker", "/run/x"));
      journal.updateHandle(id, Map.of("pid", 4242));
    }

    try (TeardownJournal reread = TeardownJournal.read(file)) {

      TeardownJournal.Entry entry = reread.pending().get(0);
      assertThat(entry.handle().get("pid").asLong()).isEqualTo(4242);
      assertThat(entry.handle().get("marker").asText()).isEqualTo("/run/x");
    }
  }

  @Test
  void ignoresATornLastLineLeftByAKilledWriter() throws Exception {
    Path file = dir.resolve("journal.jsonl");
    try (TeardownJournal journal = TeardownJournal.create(file)) {
      journal.register("seal-evidence", Map.of());
    }
    Files.writeString(file, "{\"op\":\"register\",\"id\":2,\"st", StandardOpenOption.APPEND);

    try (TeardownJournal reread = TeardownJournal.read(file)) {

      assertThat(reread.pending()).extracting(TeardownJournal.Entry::step).containsExactly("seal-evidence");
    }
  }

  @Test
  void isPrivateToItsOwner() throws Exception {
    Path file = dir.resolve("journal.jsonl");

    try (TeardownJournal journal = TeardownJournal.create(file)) {

      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
  }

  @Test
  void refusesASecondOwnerWhileTheFirstHoldsIt() {
    Path file = dir.resolve("journal.jsonl");
    try (TeardownJournal journal = TeardownJournal.create(file)) {

      assertThatThrownBy(() -> TeardownJournal.read(file))
          .isInstanceOf(SessionException.class)
          .hasMessageContaining("is still running in another taskbound process");
    }
  }

  /**
   * CI finding: an agent API worker the teardown stopped (interrupted) while it journalled a
   * refresh closed the journal's channel, and every later write of the teardown failed.
   */
  @Test
  void aWriterThatIsInterruptedLeavesTheJournalWritableForTheOthers() throws Exception {
    Path file = dir.resolve("journal.jsonl");
    try (TeardownJournal journal = TeardownJournal.create(file)) {
      java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
      Thread interrupted = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          journal.register("revoke-github-token", java.util.Map.of("n", 1));
        } catch (RuntimeException e) {
          failed.set(e);
        }
      });
      interrupted.start();
      interrupted.join();

      journal.register("stop-gateway", java.util.Map.of());

      assertThat(failed.get()).isNull();
      assertThat(journal.pending()).extracting(TeardownJournal.Entry::step).containsExactly("stop-gateway", "revoke-github-token");
    }
  }
}

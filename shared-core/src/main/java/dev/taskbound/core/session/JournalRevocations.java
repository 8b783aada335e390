package dev.taskbound.core.session;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.Revocations;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Revokes what a journal written outside a session still holds (a ceiling's read token, a
 * controller's issued credentials): each pending entry, newest first, marked done or failed in the
 * journal so that a retry takes only what is left.
 */
final class JournalRevocations {
  private static final ObjectMapper JSON = Json.MAPPER;

  private JournalRevocations() {}

  /** One step per pending entry of the journal at {@code file}; a failed step ends with {@code retry}. */
  static List<StepResult> revokePending(Path file, RevocationContext revocation, String retry) {
    return revokePending(file, revocation, Optional.empty(), retry);
  }

  /**
   * As {@link #revokePending(Path, RevocationContext, String)}, opening sealed handle fields with
   * {@code key}; an entry it cannot open (no key, a wrong key) fails and stays pending.
   */
  static List<StepResult> revokePending(Path file, RevocationContext revocation, Optional<JournalKey> key,
      String retry) {
    List<StepResult> steps = new ArrayList<>();
    Optional<String> journalId = JournalId.read(file.getParent());
    try (TeardownJournal journal = TeardownJournal.read(file)) {
      for (TeardownJournal.Entry e : journal.pending()) {
        if (e.step().equals(HandoffFile.STEP)) {
          steps.add(removeHandoffFile(journal, e, journalId, key, retry));
          continue;
        }
        if (!Revocations.handles(e.step())) {
          steps.add(StepResult.failed(e.step(), 0, "unknown step (journal from a newer version?)"));
          continue;
        }
        try {
          Map<String, Object> handle = SealedHandles.open(journalId, e.id(), e.step(),
              JSON.convertValue(e.handle(), new TypeReference<Map<String, Object>>() {}), key,
              "journal entry " + e.id() + " (" + e.step() + ")");
          Revocations.revoke(e.step(), handle, revocation);
          journal.complete(e.id(), "ok", 1, null);
          steps.add(StepResult.ok(e.step(), 1));
        } catch (RuntimeException failure) {
          journal.complete(e.id(), "failed", 1, TeardownRunner.describe(failure));
          steps.add(StepResult.failed(e.step(), 1, TeardownRunner.describe(failure) + "; " + retry));
        }
      }
    }
    return steps;
  }

  /** A hand-off file the issue wrote: deleted if it is still that file, else left (skipped, saying why). */
  private static StepResult removeHandoffFile(TeardownJournal journal, TeardownJournal.Entry e,
      Optional<String> journalId, Optional<JournalKey> key, String retry) {
    StepResult result;
    try {
      result = HandoffFile.remove(SealedHandles.open(journalId, e.id(), e.step(),
          JSON.convertValue(e.handle(), new TypeReference<Map<String, Object>>() {}), key,
          "journal entry " + e.id() + " (" + e.step() + ")"));
    } catch (RuntimeException failure) {
      result = StepResult.failed(e.step(), 1, TeardownRunner.describe(failure));
    }
    if (result.failed()) {
      journal.complete(e.id(), "failed", 1, result.error().orElse(null));
      return StepResult.failed(result.step(), result.attempts(), result.error().orElse("failed") + "; " + retry);
    }
    journal.complete(e.id(), "ok", 1, null);
    return result;
  }
}

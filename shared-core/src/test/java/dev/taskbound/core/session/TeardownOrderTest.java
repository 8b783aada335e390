package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10 item 8: the sandbox stops before any credential is revoked, even one journalled after it. */
class TeardownOrderTest {
  @TempDir Path dir;

  @Test
  void theSandboxIsStoppedFirstThenTheRestNewestFirst() {
    try (TeardownJournal journal = TeardownJournal.create(dir.resolve("journal.jsonl"))) {
      for (String step : new String[] {"remove-private-state", "seal-evidence", "stop-gateway", "revoke-github-token",
          "revoke-vault-login", "scrub-credentials", "stop-sandbox", "revoke-github-token"}) {
        journal.register(step, Map.of());
      }

      assertThat(TeardownRunner.sandboxFirst(journal.pending())).extracting(TeardownJournal.Entry::step).containsExactly(
          "stop-sandbox", "revoke-github-token", "scrub-credentials", "revoke-vault-login", "revoke-github-token",
          "stop-gateway", "seal-evidence", "remove-private-state");
    }
  }
}

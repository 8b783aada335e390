package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The record that a session's teardown completed, kept after its private state is gone so that
 * {@code taskbound teardown --session DIR} run again (an always-run post step) exits 0 and says so:
 * {@code <sessionRoot>/<session-id>.completed} (a file, 0600, beside the session directories so that
 * hosts listing session directories do not take it for one), holding the session and task ids,
 * when it completed and where the evidence went; no secrets.
 */
final class Completion {
  static final String SUFFIX = ".completed";
  private static final ObjectMapper JSON = Json.MAPPER;

  private Completion() {}

  /** What a completion record says, for the message of a repeated teardown. */
  record Record(String sessionId, String completedAt, String bundle, String reason) {
    /** Whether the session ended because its TTL expired (its later commands then exit 124). */
    boolean ttlExpired() {
      return reason.equals("ttl expired");
    }

    String describe() {
      return "the teardown of session " + sessionId + " already completed at " + completedAt + "; evidence: " + bundle
          + "; nothing left to do";
    }
  }

  static Path file(Path sessionRoot, String sessionId) {
    return sessionRoot.resolve(sessionId + SUFFIX);
  }

  static void write(SessionLayout layout, SessionRecord record, Instant at, String reason) throws IOException {
    Path dir = layout.sessionRoot();
    ObjectNode node = JSON.createObjectNode()
        .put("session", record.sessionId())
        .put("task", record.taskId())
        .put("completed_at", at.toString())
        .put("reason", reason)
        .put("bundle", record.bundle().toString())
        .put("teardown_report", record.teardownReport().toString());
    Path target = file(layout.sessionRoot(), record.sessionId());
    Path tmp = Files.createTempFile(dir, ".completed.", ".tmp"); // 0600
    try {
      Files.writeString(tmp, JSON.writeValueAsString(node) + "\n");
      Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The completion record of the session whose state directory was {@code stateDir}, if any. */
  static Optional<Record> of(Path stateDir) {
    Path state = stateDir.toAbsolutePath().normalize();
    if (state.getParent() == null || state.getFileName() == null) {
      return Optional.empty();
    }
    Path file = file(state.getParent(), state.getFileName().toString());
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(file.toFile());
      return Optional.of(new Record(node.path("session").asText(), node.path("completed_at").asText(), node.path("bundle").asText(),
          node.path("reason").asText("")));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}

package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The facts about a session that a later {@code taskbound teardown} needs and cannot derive: which
 * task, where the runtime directory and the output go. Stored as {@code session.json} (no secrets).
 */
public record SessionRecord(String sessionId, String taskId, Path outDir, Path runtimeDir) {
  private static final ObjectMapper JSON = Json.MAPPER;

  /** The bundle's file name: {@code <task>-<session>.zip}. */
  public String bundleName() {
    return taskId + "-" + sessionId + ".zip";
  }

  public Path bundle() {
    return outDir.resolve(bundleName());
  }

  /** The teardown report written next to the bundle. */
  public Path teardownReport() {
    return outDir.resolve(taskId + "-" + sessionId + ".teardown.json");
  }

  /** The Markdown summary written next to the bundle, for CI step summaries. */
  public Path summary() {
    return outDir.resolve(taskId + "-" + sessionId + ".summary.md");
  }

  void write(Path file) {
    ObjectNode node =
        JSON.createObjectNode()
            .put("session", sessionId)
            .put("task", taskId)
            .put("out_dir", outDir.toString())
            .put("runtime_dir", runtimeDir.toString());
    try {
      Session.writePrivate(file, JSON.writeValueAsString(node) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static SessionRecord read(Path file) {
    try {
      JsonNode node = JSON.readTree(file.toFile());
      return new SessionRecord(
          node.path("session").asText(),
          node.path("task").asText(),
          Path.of(node.path("out_dir").asText()),
          Path.of(node.path("runtime_dir").asText()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}

package dev.taskbound.core.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the container backend needs to know of the agent's image, from one {@code docker image
 * inspect} ({@link #FORMAT}) in the preflight: its content digest for the evidence, the architecture
 * it runs on (which native init fits it) and its entrypoint (which the agent container's own first
 * process must still run before the command, as Docker would). Immutable.
 *
 * @param digest Docker's image id ({@code sha256:...})
 * @param architecture as Docker names it ({@code amd64}, {@code arm64})
 * @param entrypoint the image's {@code ENTRYPOINT}, empty when it has none
 */
record AgentImage(String digest, String architecture, List<String> entrypoint) {
  /** The {@code --format} of the inspection: three lines. */
  static final String FORMAT = "{{.Id}}\n{{.Architecture}}\n{{json .Config.Entrypoint}}";

  AgentImage {
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(architecture, "architecture");
    entrypoint = List.copyOf(entrypoint);
  }

  /**
   * Reads the daemon's answer.
   *
   * @throws SandboxException naming the image and the daemon when the answer has another shape
   */
  static AgentImage parse(String output, String image, String endpoint) {
    String[] lines = output.strip().split("\n");
    try {
      if (lines.length != 3 || !lines[0].startsWith("sha256:")) {
        throw new IOException("expected the image id, its architecture and its entrypoint on 3 lines");
      }
      JsonNode entry = new JsonMapper().readTree(lines[2]);
      List<String> entrypoint = new ArrayList<>();
      if (entry.isArray()) {
        entry.forEach(e -> entrypoint.add(e.asText()));
      } else if (!entry.isNull()) {
        throw new IOException("the entrypoint is neither a list nor null");
      }
      return new AgentImage(lines[0].strip(), lines[1].strip(), entrypoint);
    } catch (IOException e) {
      throw new SandboxException("the Docker daemon at " + endpoint + " described the image '" + image + "' in a form"
          + " Taskbound does not understand (" + e.getMessage() + "); accepted: Docker Engine 20.10 or later");
    }
  }
}

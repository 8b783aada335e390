package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.testing.FileGrep;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review finding: the registry files of inspected hosts hold the placeholder, never the real
 * password in any form. pip.conf URL-encodes a password and settings.xml escapes it, so swapping
 * the raw value after writing left a password with {@code @ ! & <} in the file the agent reads.
 */
class InspectedRegistryFilesTest {
  /** Every character pip.conf encodes and settings.xml escapes; made at run time so no class file holds it. */
  private static final String PASSWORD = "p@ss!&<\"'>/" + java.util.UUID.randomUUID();

  @TempDir Path dir;

  @Test
  void aPasswordThatItsFileEncodesNeverReachesTheFileTheAgentReads() throws Exception {
    Path policy = Files.writeString(dir.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1",
        "kind: Task", "spec:",
        "  egress:",
        "    allow: [pypi.corp.test, maven.corp.test]",
        "    inspect: [pypi.corp.test, maven.corp.test]",
        "  registries:",
        "    - {kind: pypi, url: 'https://pypi.corp.test/simple', credentials: {username: ci, password: {env: REG_PASSWORD}}}",
        "    - {kind: maven, id: corp, url: 'https://maven.corp.test/releases',"
            + " credentials: {username: ci, password: {env: REG_PASSWORD}}}",
        ""));
    SessionSpec spec = SessionSpec.builder(TaskId.parse("REG-1"), List.of("true"))
        .policyFile(policy)
        .hostEnvironment(Map.of("REG_PASSWORD", PASSWORD))
        .sessionRoot(dir.resolve("sessions"))
        .runtimeRoot(dir.resolve("rt"))
        .outDir(dir.resolve("out"))
        .build();
    Files.createDirectories(dir.resolve("rt"));
    String urlEncoded = URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8).replace("+", "%20");
    String xmlEscaped = PASSWORD.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
        .replace("'", "&apos;");

    try (Session session = Session.open(spec)) {
      Path registries = dir.resolve("rt").resolve("tb-" + session.id().value()).resolve("registries");

      assertThat(registries.resolve("pip.conf")).content().contains("ci:tbph");
      assertThat(registries.resolve("settings.xml")).content().contains("<password>tbph");
      for (String form : List.of(PASSWORD, urlEncoded, xmlEscaped, "p%40ss", "p@ss")) {
        assertThat(FileGrep.filesContaining(form, dir)).as(form).isEmpty();
      }
    }
  }
}

package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.identity.TaskId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: a session whose policy inspects hosts makes its CA and trust files, and leaves none behind. */
class SessionInspectionTest {
  @TempDir Path dir;

  @Test
  void theSessionCaIsRecordedVisibleToTheSandboxAndGoneAfterTeardown() throws Exception {
    Path policy = Files.writeString(dir.resolve("task.yml"), String.join("\n", "apiVersion: taskbound.dev/v1",
        "kind: Task", "spec:", "  egress:", "    allow: [api.github.com]", "    inspect: [api.github.com]", ""));
    SessionSpec spec = SessionSpec.builder(TaskId.parse("INSPECT-1"), List.of("true"))
        .policyFile(policy)
        .sessionRoot(dir.resolve("sessions"))
        .runtimeRoot(dir.resolve("rt"))
        .outDir(dir.resolve("out"))
        .build();
    Files.createDirectories(dir.resolve("rt"));

    Path inspect;
    Path bundle;
    try (Session session = Session.open(spec)) {
      inspect = dir.resolve("rt").resolve("tb-" + session.id().value()).resolve("inspect");

      assertThat(inspect.resolve("ca.pem")).content().startsWith("-----BEGIN CERTIFICATE-----");
      assertThat(inspect.resolve("ca-bundle.pem")).content().endsWith(Files.readString(inspect.resolve("ca.pem")));
      assertThat(inspect.resolve("truststore.p12")).isRegularFile();
      try (var files = Files.list(inspect)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ca.pem", "ca-bundle.pem",
            "truststore.p12"); // the CA's key is never written
      }
      bundle = session.record().bundle();
    }

    assertThat(inspect).doesNotExist();
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      String events = new String(zip.getInputStream(zip.getEntry("events.jsonl")).readAllBytes());
      assertThat(events).contains("\"egress.inspection.started\"").contains("\"hosts\":[\"api.github.com\"]")
          .contains("\"ca_fingerprint\":\"sha256:");
    }
  }
}

package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hidden file with another name refuses the sandbox's start. */
class HardLinkedHiddenTest {
  @TempDir Path dir;

  @Test
  void aHiddenWorkspaceFileWithAHardLinkInTheWorkspaceIsRefusedNamingBothPaths() throws Exception {
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Path secret = Files.writeString(Files.createDirectories(ws.resolve("deep/er")).resolve("secret.txt"), "s");
    Files.createLink(ws.resolve("innocent.txt"), secret);

    assertThatThrownBy(() -> HardLinkedHidden.refuse(List.of(secret), ws))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("hidden path " + secret + " has 2 hard links (also at " + ws.resolve("innocent.txt") + ")");
  }

  @Test
  void aHiddenWorkspaceFileLinkedOnlyOutsideTheWorkspaceIsRefusedAllTheSame() throws Exception {
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Path secret = Files.writeString(ws.resolve("secret.txt"), "s");
    Files.createLink(dir.resolve("outside.txt"), secret);

    assertThatThrownBy(() -> HardLinkedHidden.refuse(List.of(secret), ws))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("has 2 hard links (its other names lie outside");
  }

  @Test
  void aHiddenHostFileIsRefusedOnlyWhenItsOtherNameIsInTheWorkspace() throws Exception {
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Path key = Files.writeString(dir.resolve("app-key.pem"), "k");
    Files.createLink(dir.resolve("key-backup.pem"), key);

    assertThatCode(() -> HardLinkedHidden.refuse(List.of(key), ws)).doesNotThrowAnyException();

    Files.createLink(ws.resolve("k.pem"), key);
    assertThatThrownBy(() -> HardLinkedHidden.refuse(List.of(key), ws)).hasMessageContaining("also at " + ws.resolve("k.pem"));
  }

  @Test
  void aHiddenFileWithOneNameAndHiddenDirectoriesPass() throws Exception {
    Path ws = Files.createDirectories(dir.resolve("ws"));
    Path secret = Files.writeString(ws.resolve("secret.txt"), "s");

    assertThatCode(() -> HardLinkedHidden.refuse(List.of(secret, dir, ws.resolve("missing")), ws)).doesNotThrowAnyException();
  }
}

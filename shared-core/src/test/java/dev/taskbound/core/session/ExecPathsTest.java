package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which extra writable directories a host may give one {@code session exec} ({@code --rw}). */
class ExecPathsTest {
  @TempDir Path root;

  @Test
  void acceptsTheHostsControlDirectoryUnderTheWorkspacesTmpSibling() throws Exception {
    Path ws = Files.createDirectories(root.resolve("ws"));
    Path control = Files.createDirectories(root.resolve("ws@tmp/durable-1a2b"));

    List<Path> granted = ExecPaths.readWrite(ws, List.of(control));

    assertThat(granted).containsExactly(control.toRealPath());
  }

  @Test
  void refusesTheTmpSiblingItselfWhereTheCoresFilesMayLie() throws Exception {
    Path ws = Files.createDirectories(root.resolve("ws"));
    Path tmp = Files.createDirectories(root.resolve("ws@tmp"));

    assertThatThrownBy(() -> ExecPaths.readWrite(ws, List.of(tmp)))
        .isInstanceOf(SessionException.class)
        .hasMessageContaining("lies outside " + tmp.toRealPath() + "/")
        .hasMessageContaining("accepted: a directory strictly under")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.USAGE));
  }

  @Test
  void refusesAnyOtherDirectoryAMissingOneAndALinkOutOfTheControlDirectory() throws Exception {
    Path ws = Files.createDirectories(root.resolve("ws"));
    Path tmp = Files.createDirectories(root.resolve("ws@tmp"));
    Path link = Files.createSymbolicLink(tmp.resolve("durable-link"), Path.of("/etc"));

    assertThatThrownBy(() -> ExecPaths.readWrite(ws, List.of(Path.of("/etc")))).hasMessageContaining("lies outside");
    assertThatThrownBy(() -> ExecPaths.readWrite(ws, List.of(tmp.resolve("missing")))).hasMessageContaining("is not an existing directory");
    assertThatThrownBy(() -> ExecPaths.readWrite(ws, List.of(link))).hasMessageContaining("is not an existing directory");
    assertThatThrownBy(() -> ExecPaths.readWrite(ws, List.of(tmp.resolve("durable-x/../../ws@tmp2"))))
        .isInstanceOf(SessionException.class);
  }
}

package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where one {@code session exec} may run, and which extra paths a host may give it ({@code --rw}, {@code --ro}). */
class ExecPathsTest {
  @TempDir Path root;

  @Test
  void acceptsTheHostsControlDirectoryUnderTheWorkspacesTmpSibling() throws Exception {
    Path ws = Files.createDirectories(root.resolve("ws"));
    Path control = Files.createDirectories(root.resolve("ws@tmp/durable-1a2b"));

    List<Path> granted = ExecPaths.readWrite(ws, List.of(control));

    assertThat(granted).containsExactly(control.toRealPath());
  }

  /**
   * Review finding: a step in {@code dir('sub')} keeps its control files in {@code sub@tmp}, inside
   * the workspace every command of the session may write; a command beside it could plant links the
   * host follows there. Refused for {@code --rw} and {@code --ro}; the top level's {@code @tmp} is not.
   */
  @Test
  void refusesPathsOpenedInAnAtTmpThatLiesWhereTheSessionsCommandsMayWrite() throws Exception {
    Path ws = Files.createDirectories(root.resolve("ws"));
    Path sub = Files.createDirectories(ws.resolve("sub"));
    Path control = Files.createDirectories(ws.resolve("sub@tmp/durable-1/taskbound"));
    Path sessionDir = ws.toRealPath();

    ExecPaths.checkNotShared(ws, List.of(Files.createDirectories(root.resolve("ws@tmp/durable-2"))), sessionDir);
    ExecPaths.checkNotShared(sub, List.of(), sessionDir); // nothing opened: a dir('sub') step without --rw runs
    assertThatThrownBy(() -> ExecPaths.checkNotShared(sub, List.of(control), sessionDir))
        .isInstanceOfSatisfying(SessionException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE))
        .hasMessage("session exec: '" + sessionDir.resolve("sub@tmp") + "', where --rw and --ro open, lies within the"
            + " session's working directory '" + sessionDir + "', which its other commands may write: one running beside"
            + " this command could plant links where the host writes and reads its files; accepted: a working directory"
            + " whose @tmp lies outside it (in Jenkins, an sh step in the block's own directory: sh 'cd sub && ...'"
            + " rather than dir('sub') inside the block)");
    // a block opened in dir('app'): its steps' app@tmp lies outside its working directory
    Path app = Files.createDirectories(ws.resolve("app"));
    ExecPaths.checkNotShared(app, List.of(Files.createDirectories(ws.resolve("app@tmp/durable-3"))), app.toRealPath());
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

  @Test
  void acceptsAFreestyleStepsScriptReadOnlyButNotADirectoryALinkOrAFileElsewhere() throws Exception {
    Path ws = Files.createDirectories(root.resolve("ws"));
    Path tmp = Files.createDirectories(root.resolve("ws@tmp"));
    Path script = Files.writeString(tmp.resolve("jenkins12.sh"), "make\n");
    Path secret = Files.writeString(Files.createDirectories(root.resolve("other@tmp")).resolve("jenkins1.sh"), "x\n");
    Path link = Files.createSymbolicLink(tmp.resolve("jenkins13.sh"), secret);

    assertThat(ExecPaths.readOnly(ws, List.of(script))).containsExactly(script.toRealPath());
    assertThatThrownBy(() -> ExecPaths.readOnly(ws, List.of(secret))).hasMessageContaining("lies outside")
        .hasMessageContaining("--ro: ").hasMessageContaining("accepted: a regular file strictly under");
    assertThatThrownBy(() -> ExecPaths.readOnly(ws, List.of(link))).hasMessageContaining("is not an existing regular file");
    assertThatThrownBy(() -> ExecPaths.readOnly(ws, List.of(Files.createDirectories(tmp.resolve("secretFiles")))))
        .hasMessageContaining("is not an existing regular file");
    assertThatThrownBy(() -> ExecPaths.readOnly(ws, List.of(Path.of("ws@tmp/jenkins12.sh"))))
        .hasMessageContaining("given by its absolute path");
  }

  /** The sandbox makes the working directory writable: a link the agent made must not carry it elsewhere. */
  @Test
  void anExecRunsInTheSessionsDirectoryOrTheBuildsWorkspaceOrBelowByItsRealPath() throws Exception {
    Path ws = Files.createDirectories(root.toRealPath().resolve("workspace/job"));
    Path block = Files.createDirectories(ws.resolve("app"));
    Path other = Files.createDirectories(root.toRealPath().resolve("workspace/other-job"));
    Path link = Files.createSymbolicLink(block.resolve("build"), other);

    ExecPaths.checkWorkDir(block, block, Optional.empty());
    ExecPaths.checkWorkDir(Files.createDirectories(block.resolve("sub")), block, Optional.empty());
    ExecPaths.checkWorkDir(ws, block, Optional.of(ws));
    assertThatThrownBy(() -> ExecPaths.checkWorkDir(ws, block, Optional.empty())).hasMessageContaining("lies outside");
    assertThatThrownBy(() -> ExecPaths.checkWorkDir(other, block, Optional.of(ws)))
        .isInstanceOf(SessionException.class).hasMessageContaining("lies outside the session's working directory")
        .hasMessageContaining("accepted: '" + block + "' or a directory below it, or the build's workspace '" + ws + "'")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.USAGE));
    assertThatThrownBy(() -> ExecPaths.checkWorkDir(link, block, Optional.of(ws)))
        .hasMessageContaining("is reached through a symbolic link (real path " + other + ")");
    assertThatThrownBy(() -> ExecPaths.checkWorkDir(block.resolve("gone"), block, Optional.empty()))
        .hasMessageContaining("cannot be resolved");
  }

  /** Jenkins names a step's files through the node's root as configured (a link), the working directory comes real. */
  @Test
  void aControlDirectoryAndAScriptNamedThroughALinkedRootAreAcceptedByTheirRealPaths() throws Exception {
    Path data = Files.createDirectories(root.toRealPath().resolve("data/jenkins"));
    Path ws = Files.createDirectories(data.resolve("workspace/job"));
    Path control = Files.createDirectories(data.resolve("workspace/job@tmp/durable-1"));
    Path script = Files.writeString(data.resolve("workspace/job@tmp/jenkins3.sh"), "make\n");
    Path linkedHome = Files.createSymbolicLink(root.resolve("jenkins-home"), data);

    assertThat(ExecPaths.readWrite(ws, List.of(linkedHome.resolve("workspace/job@tmp/durable-1")))).containsExactly(control);
    assertThat(ExecPaths.readOnly(ws, List.of(linkedHome.resolve("workspace/job@tmp/jenkins3.sh")))).containsExactly(script);
    assertThatThrownBy(() -> ExecPaths.readOnly(ws, List.of(linkedHome.resolve("workspace/other@tmp/x.sh"))))
        .isInstanceOf(SessionException.class);
  }
}

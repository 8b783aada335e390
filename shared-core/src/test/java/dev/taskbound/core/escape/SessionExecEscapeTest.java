package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.InitCommand;
import dev.taskbound.core.sandbox.NetnsSandbox;
import dev.taskbound.core.sandbox.SandboxException;
import dev.taskbound.core.sandbox.SandboxIo;
import dev.taskbound.core.sandbox.SandboxLaunch;
import dev.taskbound.core.sandbox.SandboxProcess;
import dev.taskbound.core.sandbox.SandboxTools;
import dev.taskbound.core.testing.AgentOwner;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: what an agent does in one command of a multi-command session ({@code session exec})
 * must not open what the next command's sandbox keeps from it. Each test starts the netns sandbox
 * twice on the same workspace with the same launch, as a session's two execs do.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SessionExecEscapeTest {
  static final String SECRET = "sentinel-secret-5c2e";

  @TempDir Path dir;
  Path workspace;
  Path runtime;
  NetnsSandbox sandbox;
  int runs;

  record Run(int status, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    workspace = Files.createDirectories(dir.resolve("ws"));
    Files.createDirectories(workspace.resolve(".git/refs"));
    Files.writeString(workspace.resolve(".git/config"), "[http]\n\textraheader = AUTHORIZATION: basic " + SECRET + "\n");
    Files.createDirectories(workspace.resolve("deep/er"));
    Files.writeString(workspace.resolve("deep/er/token"), SECRET + "-deep\n");
    AgentOwner.own(workspace);
    runtime = Files.createDirectories(dir.resolve("run/tb-this"));
    sandbox = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), NetnsSandbox.MASKED_BY_DEFAULT,
        InitCommand.current());
  }

  private Run exec(String script, List<Path> hidden) throws Exception {
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/sh", "-c", script), workspace, Map.of("PATH", "/usr/bin:/bin"),
        runtime.resolve("gateway.sock"), hidden, Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(new Confinement(Optional.empty(), List.of(), List.of()));
    SandboxProcess p = sandbox.start(launch);
    try {
      assertThat(p.waitFor(Duration.ofSeconds(60))).as("the sandbox finished").isTrue();
      Run r = new Run(p.waitFor(), Files.readString(dir.resolve("out" + n)), Files.readString(dir.resolve("err" + n)));
      assertThat(r.out() + r.err()).as("no secret ever reaches the agent's output").doesNotContain(SECRET);
      return r;
    } finally {
      p.destroyTree();
    }
  }

  @Test
  void renamingTheDirectoryOfAHiddenFileInOneExecDoesNotShowTheFileInTheNext() throws Exception {
    List<Path> hidden = List.of(workspace.resolve(".git/config"));

    Run first = exec("mv .git g2; echo mv=$?; mv .git/config .git/c2; echo mv-file=$?;"
        + " touch .git/refs/written && echo still-writable", hidden);
    Run second = exec("cat g2/config .git/c2 .git/config; echo done", hidden);

    assertThat(first.out()).isEqualTo("mv=1\nmv-file=1\nstill-writable\n");
    assertThat(second.out()).isEqualTo("done\n");
    assertThat(workspace.resolve(".git/config")).as("the host's file is where it was").content().contains(SECRET);
    assertThat(workspace.resolve("g2")).doesNotExist();
    assertThat(workspace.resolve(".git/refs/written")).exists();
  }

  @Test
  void renamingAnyDirectoryAboveADeeperHiddenPathDoesNotShowItInTheNextExec() throws Exception {
    List<Path> hidden = List.of(workspace.resolve("deep/er/token"));

    Run first = exec("mv deep/er deep/moved; echo inner=$?; mv deep d2; echo outer=$?", hidden);
    Run second = exec("cat deep/moved/token d2/er/token deep/er/token; echo done", hidden);

    assertThat(first.out()).isEqualTo("inner=1\nouter=1\n");
    assertThat(second.out()).isEqualTo("done\n");
  }

  /** A hard link made before the session (an earlier build step, {@code cp -al}) would show the hidden file under its other name. */
  @Test
  void aHiddenFileWithAHardLinkInTheWorkspaceRefusesTheStartNamingBothPaths() throws Exception {
    Files.createLink(workspace.resolve("innocent.txt"), workspace.resolve("deep/er/token"));
    List<Path> hidden = List.of(workspace.resolve("deep/er/token"));

    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/sh", "-c", "cat innocent.txt"), workspace, Map.of("PATH", "/usr/bin:/bin"),
        runtime.resolve("gateway.sock"), hidden, Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out").toFile()),
            Redirect.to(dir.resolve("err").toFile())));

    assertThatThrownBy(() -> sandbox.start(launch))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("hidden path " + workspace.resolve("deep/er/token") + " has 2 hard links (also at "
            + workspace.resolve("innocent.txt") + ")");
    assertThat(dir.resolve("out")).as("the agent never ran").doesNotExist();
  }

  /**
   * A workspace under a directory the sandbox hides (the host's {@code /tmp}, which a session's
   * hidden paths hold as its runtime root, or a home holding the workspace): the directories above
   * the hidden file are locked all the same.
   */
  @Test
  void renamingADirectoryAboveAHiddenFileStaysRefusedWhenADirectoryHoldingTheWorkspaceIsHidden() throws Exception {
    List<Path> hidden = List.of(dir.getParent(), dir, workspace.resolve("deep/er/token"));

    Run first = exec("cat deep/er/token; mv deep d2; echo outer=$?; mv deep/er deep/moved; echo inner=$?", hidden);
    Run second = exec("cat d2/er/token deep/moved/token deep/er/token; echo done", hidden);

    assertThat(first.out()).isEqualTo("outer=1\ninner=1\n");
    assertThat(second.out()).isEqualTo("done\n");
    assertThat(workspace.resolve("deep/er/token")).as("the host's file is where it was").content().contains(SECRET);
  }
}

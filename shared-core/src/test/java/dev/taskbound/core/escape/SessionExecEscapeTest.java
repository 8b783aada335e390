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
import java.nio.file.attribute.PosixFilePermissions;
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
    return exec(sandbox, script, hidden, Confinement.DEFAULT);
  }

  private Run exec(NetnsSandbox in, String script, List<Path> hidden, Confinement confinement) throws Exception {
    int n = ++runs;
    SandboxLaunch launch = new SandboxLaunch(List.of("/bin/sh", "-c", script), workspace, Map.of("PATH", "/usr/bin:/bin"),
        runtime.resolve("gateway.sock"), hidden, Duration.ofSeconds(20),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
            Redirect.to(dir.resolve("err" + n).toFile())))
        .withConfinement(confinement);
    SandboxProcess p;
    try {
      p = in.start(launch);
    } catch (SandboxException e) {
      throw new AssertionError(e.getMessage() + "; stderr: " + Files.readString(dir.resolve("err" + n)), e);
    }
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

  /**
   * Two execs at once: the agent of the running one swaps a policy path for a link between the
   * starting one's check and bwrap's mount. Made deterministic by a {@code bwrap} on the tools path
   * that does the swap itself when it is the one that mounts the held descriptors, after the
   * launcher's check and the native init's hold and before the real bwrap runs, as that agent would
   * (the setup runs no shell since issue 19's seventh stop; the preflight's probe mounts nothing).
   */
  @Test
  void aPolicyPathSwappedForALinkAfterItsCheckIsStillBoundFromWhatWasChecked() throws Exception {
    Path cache = Files.createDirectories(workspace.resolve("cache"));
    Files.writeString(cache.resolve("mine"), "own\n");
    AgentOwner.own(workspace);
    // a host directory the sandbox shows empty (an empty tmpfs over /var/tmp), with a secret in it;
    // the link is relative, as bwrap resolves the source in the host's tree and the target in the view
    Path hostTmp = Files.createTempDirectory(Path.of("/var/tmp"), "tb-race-");
    Path tools = null;
    try {
      Files.writeString(hostTmp.resolve("secret"), SECRET + "-host\n");
      // outside the test's 0700 directory: as root the preflight runs this bwrap as the agent's user too
      tools = Files.createTempDirectory("tb-tools-");
      Files.setPosixFilePermissions(tools, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path realBwrap = SandboxTools.locate(SandboxTools.defaultSearchPath(System.getenv("PATH"))).bwrap();
      Path bwrap = Files.writeString(tools.resolve("bwrap"), "#!/bin/sh\n"
          + "case \" $* \" in *\" --bind-fd \"*) mv '" + cache + "' '" + cache + "-orig' && ln -s '"
          + workspace.relativize(Path.of("/var/tmp")) + "' '" + cache + "' || exit 99;; esac\n"
          + "exec '" + realBwrap + "' \"$@\"\n");
      Files.setPosixFilePermissions(bwrap, PosixFilePermissions.fromString("rwxr-xr-x"));
      NetnsSandbox racing = new NetnsSandbox(tools + ":" + SandboxTools.defaultSearchPath(System.getenv("PATH")),
          NetnsSandbox.MASKED_BY_DEFAULT, InitCommand.current());

      int n = ++runs;
      SandboxLaunch launch = new SandboxLaunch(List.of("/bin/sh", "-c", "ls /var/tmp; cat /var/tmp/*/secret; echo done"),
          workspace, Map.of("PATH", "/usr/bin:/bin"), runtime.resolve("gateway.sock"), List.of(), Duration.ofSeconds(20),
          new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out" + n).toFile()),
              Redirect.to(dir.resolve("err" + n).toFile())))
          .withConfinement(new Confinement(Optional.empty(), List.of(), List.of(cache)));

      assertThatThrownBy(() -> racing.start(launch).destroyTree()).isInstanceOf(SandboxException.class)
          .hasMessageContaining("setup exited with status 1 before the agent started");
      assertThat(Files.isSymbolicLink(cache)).as("the swap happened").isTrue();
      // bwrap mounted the directory checked, then found a link at its place: it stops (0.8 and later)
      assertThat(Files.readString(dir.resolve("err" + n))).contains("Race condition binding dirfd").doesNotContain(SECRET);
      assertThat(Files.readString(dir.resolve("out" + n))).isEmpty();
    } finally {
      Files.deleteIfExists(hostTmp.resolve("secret"));
      Files.deleteIfExists(hostTmp);
      if (tools != null) {
        Files.deleteIfExists(tools.resolve("bwrap"));
        Files.deleteIfExists(tools);
      }
    }
  }
}

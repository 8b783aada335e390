package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: the policy's sandbox fields reach a real {@code taskbound run}: extra read-only and
 * read-write paths with the right mode (a read-write one outside the workspace, as Jenkins' {@code
 * ws@tmp}), hidden workspace paths, passed and withheld variables, {@code sandbox.user}; and what
 * the sandbox must keep (root, hidden credential paths) is refused before anything starts.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SandboxPolicyRunTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String SECRET = "sentinel-extraheader-8c2f";

  @TempDir Path work;
  private Path ws;
  private Path tools;
  private Path control;
  private Map<String, String> env;

  @BeforeEach
  void hostWithAWorkspaceToolsAndAControlDirectory() throws Exception {
    ws = Files.createDirectories(work.resolve("ws"));
    git("init", "-q", ws.toString());
    git("-C", ws.toString(), "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic " + SECRET);
    Files.writeString(ws.resolve("README"), "hello\n");
    tools = Files.createDirectories(work.resolve("tools"));
    Files.writeString(tools.resolve("tool.txt"), "a tool\n");
    control = AgentOwner.own(Files.createDirectories(work.resolve("ws@tmp")));
    for (Path p : List.of(work, tools)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    env = new HashMap<>(Map.of("TASKBOUND_HOME", Files.createDirectories(work.resolve("home")).toString(),
        "TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString(),
        "TB_TEST_PASSED", "passed-by-policy", "TB_TEST_WITHHELD", "withheld-host-secret",
        "GITHUB_REPOSITORY", "acme/app"));
  }

  private static void git(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
  }

  private Path ceiling(String extra) throws IOException {
    return Files.writeString(work.resolve("org.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Ceiling",
        "spec:",
        "  sandbox:",
        "    backends: [netns]",
        extra,
        "    paths:",
        "      readOnly: [" + tools + "]",
        "      readWrite: ['$WORKSPACE@tmp']",
        "      hide: [.git/config]",
        "    env:",
        "      pass: [TB_TEST_PASSED, TB_TEST_OTHER]",
        ""));
  }

  private CliProcess run(Path ceiling, Path task, String... command) throws IOException {
    return runWithOut(work.resolve("evidence"), ceiling, task, command);
  }

  private CliProcess runWithOut(Path out, Path ceiling, Path task, String... command) throws IOException {
    List<String> args = new java.util.ArrayList<>(List.of("run", "--task", "T-11", "--ceiling", ceiling.toString()));
    if (task != null) {
      args.addAll(List.of("--policy", task.toString()));
    }
    args.addAll(List.of("--out", out.toString(), "--"));
    args.addAll(List.of(command));
    return CliProcess.start(ws, env, args.toArray(String[]::new));
  }

  @Test
  void extraPathsHaveTheirModeHiddenPathsAreEmptyAndOnlyPassedVariablesArrive() throws Exception {
    Path task = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    paths:\n      readWrite: ['$WORKSPACE@tmp/durable-1']\n");
    Files.createDirectories(control.resolve("durable-1"));
    AgentOwner.own(control);

    try (CliProcess run = run(ceiling(""), task, "sh", "-c", String.join("; ",
        "cat " + tools + "/tool.txt",
        "touch " + tools + "/new 2>/dev/null && echo tools-writable || echo tools-read-only",
        "echo 0 > " + control + "/durable-1/jenkins-result.txt && echo control-written",
        "printf 'config bytes=%s\\n' $(wc -c < .git/config)",
        "git status --short >/dev/null && echo git-works",
        "printf 'passed=%s withheld=%s repo=%s\\n' \"$TB_TEST_PASSED\" \"${TB_TEST_WITHHELD:-absent}\""
            + " \"$GITHUB_REPOSITORY\""))) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("a tool\n", "tools-read-only\n", "control-written\n", "config bytes=0\n",
          "git-works\n", "passed=passed-by-policy withheld=absent repo=acme/app").doesNotContain(SECRET);
    }
    assertThat(tools.resolve("new")).doesNotExist();
    assertThat(control.resolve("durable-1/jenkins-result.txt")).hasContent("0");
    assertThat(Files.readString(ws.resolve(".git/config"))).as("the host's file is untouched").contains(SECRET);
    String events = RunArtifacts.bundleText(work.resolve("evidence"), "events.jsonl");
    assertThat(events).contains("\"read_write\":[\"" + ws + "\",\"" + control.resolve("durable-1") + "\"]")
        .contains(ws.resolve(".git/config").toString()).doesNotContain("withheld-host-secret");
  }

  /** Review finding F2: renaming the directory that holds the policy file used to swap the file. */
  @Test
  void aPolicyFileInAWorkspaceDirectoryCannotBeSwappedByRenamingItsDirectory() throws Exception {
    Path dir = Files.createDirectories(ws.resolve("taskbound/nested"));
    Path task = Files.writeString(dir.resolve("policy.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {}\n");
    AgentOwner.own(ws);

    try (CliProcess run = run(ceiling(""), task, "sh", "-c", String.join("; ",
        "mv taskbound taskbound-old 2>/dev/null && echo top-renamed || echo top-locked",
        "mv taskbound/nested taskbound/nested-old 2>/dev/null && echo nested-renamed || echo nested-locked",
        "echo '# TAMPERED' > taskbound/nested/policy.yml 2>/dev/null && echo written || echo file-locked",
        "touch README-agent && echo workspace-writable"))) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("top-locked\n", "nested-locked\n", "file-locked\n", "workspace-writable");
    }
    assertThat(task).hasContent("apiVersion: taskbound.dev/v1\nkind: Task\nspec: {}");
    assertThat(ws.resolve("taskbound-old")).doesNotExist();
  }

  /**
   * Review findings: the default evidence directory sits in the workspace, and an agent that put a
   * link or a directory where the bundle goes kept it from being written (in the Action, from being
   * published at all). The directory is made at open and shown read-only: a mount point the agent can
   * neither move, remove nor write in.
   */
  @Test
  void anEvidenceDirectoryInTheWorkspaceIsReadOnlyForTheAgent() throws Exception {
    Path evidence = ws.resolve("taskbound-evidence");
    AgentOwner.own(ws);

    try (CliProcess run = runWithOut(evidence, ceiling(""), null, "sh", "-c", String.join("; ",
        "mv taskbound-evidence moved 2>/dev/null && echo moved || echo move-refused",
        "rm -rf taskbound-evidence 2>/dev/null; [ -d taskbound-evidence ] && echo still-there",
        "ln -s /etc taskbound-evidence/T-11-link 2>/dev/null && echo planted || echo link-refused",
        "mkdir taskbound-evidence/T-11.zip 2>/dev/null && echo made || echo mkdir-refused",
        "touch README-agent && echo workspace-writable"))) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("move-refused\n", "still-there\n", "link-refused\n", "mkdir-refused\n",
          "workspace-writable");
    }
    assertThat(RunArtifacts.bundleText(evidence, "events.jsonl")).contains("\"agent.exited\"");
    assertThat(ws.resolve("moved")).doesNotExist();
  }

  /**
   * A link at the evidence directory's path in the workspace, there before the run (committed in the
   * checkout, or left by an earlier run's agent), had root write the bundle wherever it led. The run
   * is refused before anything starts, naming the link.
   */
  @Test
  void anEvidenceDirectoryALinkInTheWorkspaceLeadsToIsRefusedBeforeAnythingRuns() throws Exception {
    Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(ws.resolve("taskbound-evidence"), elsewhere);
    AgentOwner.own(ws);

    try (CliProcess run = runWithOut(link.resolve("nested"), ceiling(""), null, "touch", "started")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(121);
      assertThat(run.stderr()).contains("the evidence directory " + link.resolve("nested") + " leads through the link "
          + link + " in the workspace").contains("accepted: a path in the workspace without links");
    }
    try (java.util.stream.Stream<Path> files = Files.list(elsewhere)) {
      assertThat(files).as("nothing written where the link leads").isEmpty();
    }
    assertThat(ws.resolve("started")).doesNotExist();
  }

  /** Review finding: the same link, with {@code --out} written through a link to the workspace, was not seen. */
  @Test
  void anEvidenceDirectoryALinkInTheWorkspaceLeadsToIsRefusedWhenOutIsWrittenThroughALinkToTheWorkspace() throws Exception {
    Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(ws.resolve("taskbound-evidence"), elsewhere);
    Path viaLink = Files.createSymbolicLink(work.resolve("ws-link"), ws).resolve("taskbound-evidence");
    AgentOwner.own(ws);

    try (CliProcess run = runWithOut(viaLink, ceiling(""), null, "touch", "started")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isEqualTo(121);
      assertThat(run.stderr()).contains("the evidence directory " + viaLink + " leads through the link " + viaLink);
    }
    try (java.util.stream.Stream<Path> files = Files.list(elsewhere)) {
      assertThat(files).as("nothing written where the link leads").isEmpty();
    }
    assertThat(Files.isSymbolicLink(link)).isTrue();
  }

  @Test
  void theCeilingsUserRunsTheAgentAndOwnsWhatItWrites() throws Exception {
    assumeThat(AgentOwner.root()).as("sandbox.user applies when Taskbound runs as root").isTrue();
    Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwxrwxrwx"));

    try (CliProcess run = run(ceiling("    user: '65533:65533'"), null, "sh", "-c", "id -u; id -g; touch made-by-agent")) {
      int status = run.waitFor(WAIT);

      assertThat(status).as(run.stderr()).isZero();
      assertThat(run.stdout()).isEqualTo("65533\n65533");
    }
    assertThat(Files.getAttribute(ws.resolve("made-by-agent"), "unix:uid")).isEqualTo(65533);
    assertThat(Files.getAttribute(ws.resolve("made-by-agent"), "unix:gid")).isEqualTo(65533);
    assertThat(RunArtifacts.bundleText(work.resolve("evidence"), "events.jsonl")).contains("\"uid\":65533");
  }

  @Test
  void aCeilingUserThatIsRootStopsTheRunBeforeAnythingStarts() throws Exception {
    try (CliProcess run = run(ceiling("    user: root"), null, "touch", "started")) {
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(121);
      assertThat(run.stderr()).contains("sandbox.user (" + work.resolve("org.yml") + ":6): 'root' is root, and the agent"
          + " never runs as root; accepted: an unprivileged user");
    }
    assertThat(ws.resolve("started")).doesNotExist();
    assertThat(work.resolve("evidence")).doesNotExist();
  }

  @Test
  void aPolicyPathInsideTheInvokingUsersCredentialsIsRefused() throws Exception {
    Path home = Files.createDirectories(work.resolve("user-home/.ssh"));
    env.put("HOME", home.getParent().toString());
    Path task = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    paths:\n      readOnly: ['~/.ssh/id_ed25519']\n");

    try (CliProcess run = CliProcess.start(ws, env, "run", "--task", "T-11", "--policy", task.toString(), "--",
        "touch", "started")) {
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(121);
      assertThat(run.stderr()).contains(task + ":6: sandbox.paths.readOnly[0]: ~/.ssh/id_ed25519 ("
          + home.resolve("id_ed25519") + ") lies within " + home + ", which the sandbox always hides");
    }
    assertThat(ws.resolve("started")).doesNotExist();
  }

  @Test
  void aPolicyPathThatWouldReplaceTheSandboxsProcDevOrSysIsRefused() throws Exception {
    Path task = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    paths:\n      readOnly: [/opt, /proc]\n");

    try (CliProcess run = CliProcess.start(ws, env, "run", "--task", "T-11", "--policy", task.toString(), "--",
        "touch", "started")) {
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(121);
      assertThat(run.stderr()).contains(task + ":6: sandbox.paths.readOnly[1]: /proc (/proc) lies within /proc, which the"
          + " sandbox never shows from the host (it gives the agent its own /proc, /dev and /sys view); accepted: a path"
          + " other than / outside /proc, /dev and /sys");
    }
    assertThat(ws.resolve("started")).doesNotExist();
  }

  @Test
  void aPolicyPathLeadingThroughALinkInTheWorkspaceIsRefusedAndTheLinksTargetStaysUnseen() throws Exception {
    // A checkout (or an earlier step) plants ws/cache -> ../host-home; the policy names ws/cache.
    Path hostHome = Files.createDirectories(work.resolve("host-home"));
    Files.writeString(hostHome.resolve(".git-credentials"), SECRET + "\n");
    Files.createSymbolicLink(ws.resolve("cache"), Path.of("../host-home"));
    AgentOwner.own(ws);
    Path task = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    paths:\n      readWrite: ['$WORKSPACE/cache']\n");

    try (CliProcess run = CliProcess.start(ws, env, "run", "--task", "T-11", "--policy", task.toString(), "--",
        "sh", "-c", "cat cache/.git-credentials; touch cache/written")) {
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(121);
      assertThat(run.stderr()).contains("sandbox.paths.readWrite: '" + ws.resolve("cache") + "' leads through a symbolic"
          + " link to '" + hostHome.toRealPath() + "', which the sandbox would show in its place; it does not start.");
      assertThat(run.stdout() + run.stderr()).doesNotContain(SECRET);
    }
    assertThat(hostHome.resolve("written")).doesNotExist();
  }

  @Test
  void aPolicyPathOverEtcNeverRunsTheAgentWithoutItsManagedHookSettings() throws Exception {
    Path task = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  gate:\n    hooks: [claude-code]\n  sandbox:\n    paths:\n      readOnly: [/etc]\n");

    try (CliProcess run = CliProcess.start(ws, env, "run", "--task", "T-11", "--policy", task.toString(), "--",
        "sh", "-c", "cat /etc/claude-code/managed-settings.json > seen; touch started")) {
      int status = run.waitFor(WAIT);

      // Either the start fails closed, or the agent ran with the hooks' settings in place.
      if (Files.exists(ws.resolve("started"))) {
        assertThat(status).as(run.stderr()).isZero();
        assertThat(ws.resolve("seen")).content().contains("\"allowManagedHooksOnly\"");
      } else {
        assertThat(status).as(run.stderr()).isEqualTo(121);
      }
    }
  }

  @Test
  void passEnvOnlyNarrowsWhatTheCeilingPasses() throws Exception {
    try (CliProcess run = CliProcess.start(ws, env, "run", "--task", "T-11", "--ceiling", ceiling("").toString(),
        "--pass-env", "TB_TEST_WITHHELD", "--", "touch", "started")) {
      int status = run.waitFor(WAIT);

      assertThat(status).isEqualTo(120);
      assertThat(run.stderr()).contains("--pass-env TB_TEST_WITHHELD widens the policy (" + work.resolve("org.yml")
          + ":12 passes TB_TEST_PASSED, TB_TEST_OTHER)");
    }
    assertThat(ws.resolve("started")).doesNotExist();
  }
}

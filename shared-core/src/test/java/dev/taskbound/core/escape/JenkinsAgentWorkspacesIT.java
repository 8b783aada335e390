package dev.taskbound.core.escape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FinishedCommand;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Jenkins agent whose remote root lies outside what the sandbox always hides ({@code /srv/...},
 * not {@code /home} or {@code /var/lib/jenkins}): the other builds' workspaces and their {@code @tmp}
 * secret files, the agent user's like this build's, are not readable from a {@code bin/taskbound run}
 * in a Jenkins build (its environment names {@code JENKINS_HOME} and {@code WORKSPACE}). The control
 * without {@code JENKINS_HOME} shows what the agent read before.
 */
@Timeout(240)
class JenkinsAgentWorkspacesIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String SECRET = "other-build-secret-5d1e";

  @TempDir Path work;
  private Path agentRoot;
  private Path workspaces;
  private Path job;
  private Path policy;

  @BeforeEach
  void anAgentRootWithThisBuildsWorkspaceAndAnotherBuildsSecretFile() throws Exception {
    // /srv: a place the sandbox's view shows read-only, as an agent's remote root such as /srv/jenkins
    assumeThat(Files.isWritable(Path.of("/srv"))).as("a writable /srv (root)").isTrue();
    agentRoot = Files.createTempDirectory(Path.of("/srv"), "taskbound-agent-");
    Files.setPosixFilePermissions(agentRoot, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    workspaces = Files.createDirectories(agentRoot.resolve("workspace"));
    job = Files.createDirectories(workspaces.resolve("job"));
    Files.writeString(job.resolve("README"), "this build\n");
    Files.createDirectories(workspaces.resolve("job@tmp/durable-1"));
    Files.writeString(workspaces.resolve("job@tmp/jenkins1.sh"), "echo freestyle-script-ran\n"); // an Execute shell step's
    Files.writeString(Files.createDirectories(workspaces.resolve("job@tmp/secretFiles/3f2a")).resolve("kubeconfig"),
        SECRET + "-own\n"); // a parallel branch's withCredentials file, this build's own
    Path secretFiles = Files.createDirectories(workspaces.resolve("other-job@tmp/secretFiles"));
    Files.writeString(secretFiles.resolve("token"), SECRET + "\n");
    Files.createDirectories(workspaces.resolve("other-job"));
    AgentOwner.own(agentRoot); // all the agent user's, as on a Jenkins agent
    policy = Files.writeString(work.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    backends: [netns]\n    paths:\n      readOnly: ['$WORKSPACE@tmp/durable-1']\n");
  }

  @AfterEach
  void removeTheAgentRoot() throws IOException {
    if (agentRoot != null) {
      deleteAll(agentRoot);
    }
  }

  private Map<String, String> build(boolean jenkins) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("XDG_CACHE_HOME", work.resolve("cache").toString()); // not in the workspace the test lists
    env.put("WORKSPACE", job.toString());
    env.put("JOB_NAME", "job");
    if (jenkins) {
      env.put("JENKINS_HOME", "/var/lib/jenkins");
    }
    return env;
  }

  private CliProcess run(Path in, Map<String, String> env, String script) throws IOException {
    return CliProcess.startLauncher(in, env, "run", "--task", "JENKINS-WS", "--policy", policy.toString(),
        "--out", work.resolve("out").toString(), "--", "sh", "-c", script);
  }

  private String probe() {
    return String.join("; ",
        "cat " + workspaces + "/other-job@tmp/secretFiles/token 2>/dev/null || echo secret-unreadable",
        "echo entries: $(ls -A " + workspaces + ")",
        "echo 0 2>/dev/null > " + workspaces + "/job@tmp/durable-1/result && echo control-written || echo control-shown",
        "ls -d " + workspaces + "/job@tmp/durable-1 >/dev/null && echo control-seen",
        "sh " + workspaces + "/job@tmp/jenkins1.sh 2>/dev/null || echo script-unseen",
        "cat " + workspaces + "/job@tmp/secretFiles/3f2a/kubeconfig 2>/dev/null || echo own-secret-unreadable",
        "echo tmp: $(ls -A " + workspaces + "/job@tmp)",
        "cat " + job + "/README");
  }

  @Test
  void inAJenkinsBuildOnlyThisBuildsWorkspaceIsSeenInTheDirectoryOfAllWorkspaces() throws Exception {
    try (CliProcess run = run(job, build(true), probe() + "; touch made-inside && echo workspace-writable")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      assertThat(run.stdout()).doesNotContain(SECRET).contains("secret-unreadable\n", "entries: job job@tmp\n",
          "control-shown\n", "control-seen\n", "script-unseen\n", "own-secret-unreadable\n", "tmp: durable-1\n", "this build\n",
          "workspace-writable");
    }
    assertThat(job.resolve("made-inside")).exists();
    assertThat(workspaces.resolve("job@tmp/durable-1/result")).doesNotExist();
    assertThat(RunArtifacts.bundleText(work.resolve("out"), "events.jsonl")).contains("\"" + workspaces + "\"");
  }

  @Test
  void aBlockInADirectoryOfTheWorkspaceStillReadsTheWorkspaceButNotTheOtherBuilds() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));
    AgentOwner.own(job);

    try (CliProcess run = run(sub, build(true), probe() + "; echo x > " + job + "/README 2>/dev/null"
        + " && echo workspace-root-writable || echo workspace-root-read-only; touch here && echo sub-writable")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      // the policy's $WORKSPACE@tmp/durable-1 is the block's: sub@tmp/durable-1, which does not exist
      assertThat(run.stdout()).doesNotContain(SECRET).contains("secret-unreadable\n", "entries: job\n",
          "script-unseen\n", "own-secret-unreadable\n", "this build\n", "workspace-root-read-only\n", "sub-writable");
    }
    assertThat(job.resolve("README")).hasContent("this build");
    assertThat(sub.resolve("here")).exists();
  }

  /** A step in {@code dir('app')} inside the block is a session exec of its own in that directory. */
  @Test
  void aStepInADirectoryOfTheBlocksWorkspaceSeesTheWorkspaceAroundItButNotTheOtherBuilds() throws Exception {
    Path app = Files.createDirectories(job.resolve("app"));
    AgentOwner.own(job);
    Map<String, String> env = build(true);
    env.put("TASKBOUND_JAR", CliProcess.shadedJar().toString());
    String launcher = CliProcess.launcher().toString();
    FinishedCommand start = FinishedCommand.run(List.of(launcher, "session", "start", "--task", "JENKINS-WS", "--policy",
        policy.toString(), "--out", work.resolve("out").toString()), job, env, WAIT);
    assertThat(start.status()).as(start.all()).isZero();
    String session = start.stdout().strip();
    try {
      FinishedCommand step = FinishedCommand.run(List.of(launcher, "session", "exec", "--session", session, "--", "sh", "-c",
          probe() + "; cat ../README; touch ../new 2>/dev/null && echo workspace-writable || echo workspace-read-only"),
          app, env, WAIT);

      assertThat(step.status()).as(step.all()).isZero();
      assertThat(step.stdout()).doesNotContain(SECRET).contains("secret-unreadable\n", "entries: job job@tmp\n",
          "control-shown\n", "control-seen\n", "script-unseen\n", "own-secret-unreadable\n", "this build\nthis build\n",
          "workspace-read-only");

      // a link the agent made in the workspace, to another build's: a later dir('build') step is refused
      Path link = Files.createSymbolicLink(app.resolve("build"), workspaces.resolve("other-job"));
      FinishedCommand linked = FinishedCommand.run(List.of(launcher, "session", "exec", "--session", session, "--", "sh", "-c",
          "touch planted && echo other-build-writable"), link, env, WAIT);
      assertThat(linked.status()).as(linked.all()).isEqualTo(125);
      assertThat(linked.stderr()).contains("the working directory '" + workspaces.resolve("other-job")
          + "' lies outside the session's working directory");
      assertThat(workspaces.resolve("other-job/planted")).doesNotExist();
    } finally {
      FinishedCommand.run(List.of(launcher, "session", "end", "--session", session), job, env, WAIT);
    }
  }

  /**
   * Review finding: a policy that made the build's {@code @tmp} writable let the agent plant links
   * where durable-task and the plugin's reporter write and read by name on the host (a step's status
   * written through {@code jenkins-result.txt.tmp} into any file of the agent's host user). In a
   * Jenkins build such a path is refused before anything starts; the control without
   * {@code JENKINS_HOME} still runs with it.
   */
  @Test
  void aPolicyMakingTheBuildsControlFilesWritableIsRefusedInAJenkinsBuild() throws Exception {
    policy = Files.writeString(work.resolve("task-rw.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    backends: [netns]\n    paths:\n      readWrite: ['$WORKSPACE@tmp/durable-1']\n");
    String plant = "ln -s /etc/hostname " + workspaces + "/job@tmp/durable-1/jenkins-result.txt.tmp && echo planted";

    try (CliProcess refused = run(job, build(true), plant)) {
      assertThat(refused.waitFor(WAIT)).as(refused.stderr()).isEqualTo(121);
      assertThat(refused.stderr()).contains(policy + ":7: sandbox.paths.readWrite[0]: $WORKSPACE@tmp/durable-1 ("
          + workspaces.resolve("job@tmp/durable-1") + ") lies within " + workspaces.resolve("job@tmp")
          + ", where Jenkins keeps each step's control files");
      assertThat(refused.stdout()).doesNotContain("planted");
    }
    assertThat(workspaces.resolve("job@tmp/durable-1/jenkins-result.txt.tmp")).doesNotExist();
    try (CliProcess control = run(job, build(false), plant)) {
      assertThat(control.waitFor(WAIT)).as(control.stderr()).isZero();
      assertThat(control.stdout()).contains("planted");
    }
  }

  /**
   * The same refusal is not got around (review of the fix): by a path above {@code @tmp} (the
   * directory of every build's workspace and {@code @tmp}, which {@code ..} cannot name), by a block in
   * {@code dir('sub')}, whose {@code $WORKSPACE@tmp} is {@code sub@tmp} inside the workspace, or by
   * a custom workspace ({@code ws('/x')}) that the view's Jenkins handling does not recognise.
   */
  @Test
  void theRefusalHoldsForAPathAboveAtTmpABlockInADirectoryAndACustomWorkspace() throws Exception {
    Path sub = Files.createDirectories(job.resolve("sub"));
    Path custom = Files.createDirectories(agentRoot.resolve("custom/build"));
    AgentOwner.own(agentRoot);
    Map<String, String> customBuild = build(true);
    customBuild.put("WORKSPACE", custom.toString());
    record Case(String path, Path in, Map<String, String> env, String says) {}
    List<Case> cases = List.of(
        new Case(workspaces.toString(), job, build(true), "holds " + workspaces.resolve("job@tmp")),
        new Case("$WORKSPACE@tmp", sub, build(true), "lies within " + job.resolve("sub@tmp")),
        new Case("$WORKSPACE@tmp", custom, customBuild, "lies within " + agentRoot.resolve("custom/build@tmp")));
    for (Case c : cases) {
      policy = Files.writeString(work.resolve("task-case.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
          + "  sandbox:\n    backends: [netns]\n    paths:\n      readWrite: ['" + c.path() + "']\n");
      try (CliProcess run = run(c.in(), c.env(), "touch ran-" + c.in().getFileName())) {
        assertThat(run.waitFor(WAIT)).as(c.path() + " in " + c.in() + ": " + run.stderr()).isEqualTo(121);
        assertThat(run.stderr()).contains("sandbox.paths.readWrite[0]: " + c.path() + " (").contains(c.says());
      }
      assertThat(c.in().resolve("ran-" + c.in().getFileName())).doesNotExist();
    }
  }

  @Test
  void aJobInAFolderHidesEveryOtherJobsWorkspaceNotOnlyItsFolders() throws Exception {
    Path app = Files.createDirectories(workspaces.resolve("team/app"));
    Files.createDirectories(workspaces.resolve("team/app@tmp/durable-1"));
    AgentOwner.own(workspaces);
    Map<String, String> env = build(true);
    env.put("WORKSPACE", app.toString());
    env.put("JOB_NAME", "team/app");

    try (CliProcess run = run(app, env, "cat " + workspaces + "/other-job@tmp/secretFiles/token 2>/dev/null"
        + " || echo secret-unreadable; echo entries: $(ls -A " + workspaces + ") / $(ls -A " + workspaces + "/team)")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      assertThat(run.stdout()).doesNotContain(SECRET).contains("secret-unreadable\n", "entries: team / app app@tmp");
    }
  }

  /**
   * A directory the view empties that is a link ({@code /var/lib/jenkins -> /srv/...}, Jenkins moved
   * to a bigger disk) is emptied where it leads: before, only the link's name was, and the target
   * showed through its own top-level directory, {@code JENKINS_HOME}'s secrets with it.
   */
  @Test
  void aJenkinsHomeThatIsALinkIsEmptiedWhereItLeads() throws Exception {
    Path jenkinsLib = withoutLeftoverLink(Path.of("/var/lib/jenkins"));
    assumeThat(Files.exists(jenkinsLib, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as("a host without /var/lib/jenkins").isFalse();
    Path moved = Files.createDirectories(agentRoot.resolve("jenkins-home/secrets"));
    Files.writeString(moved.resolve("master.key"), SECRET + "\n");
    AgentOwner.own(agentRoot);
    Files.createSymbolicLink(jenkinsLib, agentRoot.resolve("jenkins-home"));
    try (CliProcess run = run(job, build(false), "cat " + moved + "/master.key " + jenkinsLib + "/secrets/master.key"
        + " 2>/dev/null; echo entries: $(ls -A " + agentRoot.resolve("jenkins-home") + ")")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      assertThat(run.stdout()).doesNotContain(SECRET).doesNotContain("secrets").contains("entries:");
    } finally {
      Files.delete(jenkinsLib);
    }
  }

  /**
   * A workspace under such a link's target (the built-in node's, Jenkins' home moved to a bigger
   * disk) is bound back into the emptied target, whose directories on the way bwrap makes as root
   * under the launcher's umask: they are made traversable, so the agent still works there under 027.
   */
  @Test
  void aWorkspaceUnderALinkedJenkinsHomeWorksUnderARestrictiveUmask() throws Exception {
    Path jenkinsLib = withoutLeftoverLink(Path.of("/var/lib/jenkins"));
    assumeThat(Files.exists(jenkinsLib, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as("a host without /var/lib/jenkins").isFalse();
    Path moved = agentRoot.resolve("jenkins-home");
    Path builtIn = Files.createDirectories(moved.resolve("workspace/job"));
    Files.writeString(Files.createDirectories(moved.resolve("secrets")).resolve("master.key"), SECRET + "\n");
    AgentOwner.own(agentRoot);
    Files.createSymbolicLink(jenkinsLib, moved);
    try {
      Map<String, String> env = build(false);
      env.put("TASKBOUND_JAR", CliProcess.shadedJar().toString());
      FinishedCommand run = FinishedCommand.run(List.of("sh", "-c", "umask 027; exec \"$0\" \"$@\"",
          CliProcess.launcher().toString(), "run", "--task", "JENKINS-WS", "--policy", policy.toString(), "--out",
          work.resolve("out").toString(), "--", "sh", "-c", "cat " + moved + "/secrets/master.key 2>/dev/null;"
              + " touch made-inside && echo workspace-writable"), builtIn, env, WAIT);

      assertThat(run.status()).as(run.all()).isZero();
      assertThat(run.stdout()).doesNotContain(SECRET).contains("workspace-writable");
      assertThat(builtIn.resolve("made-inside")).exists();
    } finally {
      Files.delete(jenkinsLib);
    }
  }

  /**
   * The inbound-agent image's remote root, {@code /home/jenkins/agent}: the view empties {@code /home}
   * and binds back the working directory. A freestyle "Execute shell" step, {@code sh -xe
   * <workspace>@tmp/jenkins<N>.sh} run in the workspace, failed there ("cannot open"): the plugin
   * now names the script with {@code --ro}, and it alone of {@code @tmp} comes back, read-only. A
   * policy path above the root does not show the other builds again.
   */
  @Test
  void aFreestyleStepsScriptRunsOnAnAgentRootedInHome() throws Exception {
    assumeThat(Files.isWritable(Path.of("/home"))).as("a writable /home (root)").isTrue();
    Path home = Files.createTempDirectory(Path.of("/home"), "taskbound-agent-");
    try {
      Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      Path inHome = Files.createDirectories(home.resolve("agent/workspace/job"));
      Files.writeString(Files.createDirectories(home.resolve("agent/workspace/job@tmp")).resolve("jenkins7.sh"),
          "echo freestyle-script-ran\n");
      Files.writeString(Files.createDirectories(home.resolve("agent/workspace/other-job@tmp/secretFiles")).resolve("token"),
          SECRET + "\n");
      Files.writeString(Files.createDirectories(home.resolve("agent/workspace/job@tmp/secretFiles/3f2a")).resolve("kubeconfig"),
          SECRET + "-own\n");
      AgentOwner.own(home);
      Map<String, String> env = build(true);
      env.put("WORKSPACE", inHome.toString());
      // a policy path above the root, which the view empties by itself: the root is hidden all the same
      policy = Files.writeString(work.resolve("home.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
          + "  sandbox:\n    backends: [netns]\n    paths:\n      readOnly: ['" + home + "']\n");

      assertThat(freestyleStep(inHome, env, home.resolve("agent/workspace"))).contains("freestyle-script-ran\n",
          "secret-unreadable\n", "entries: job job@tmp\n", "tmp: jenkins7.sh\n", "workspace-writable");
      assertThat(inHome.resolve("made-inside")).exists();
    } finally {
      deleteAll(home);
    }
  }

  /** The built-in node's workspaces lie in {@code JENKINS_HOME}, which the sandbox hides whole: the same. */
  @Test
  void aFreestyleStepsScriptRunsOnTheBuiltInNode() throws Exception {
    Path jenkinsHome = Files.createDirectories(agentRoot.resolve("jenkins-home"));
    Files.writeString(Files.createDirectories(jenkinsHome.resolve("secrets")).resolve("master.key"), SECRET + "\n");
    Path builtIn = Files.createDirectories(jenkinsHome.resolve("workspace/job"));
    Files.writeString(Files.createDirectories(jenkinsHome.resolve("workspace/other-job@tmp/secretFiles")).resolve("token"),
        SECRET + "\n");
    Files.writeString(Files.createDirectories(jenkinsHome.resolve("workspace/job@tmp")).resolve("jenkins7.sh"),
        "echo freestyle-script-ran\n");
    AgentOwner.own(agentRoot);
    Map<String, String> env = build(true);
    env.put("JENKINS_HOME", jenkinsHome.toString());
    env.put("WORKSPACE", builtIn.toString());

    assertThat(freestyleStep(builtIn, env, jenkinsHome.resolve("workspace")))
        .contains("freestyle-script-ran\n", "secret-unreadable\n", "entries: job job@tmp\n", "tmp: jenkins7.sh\n",
            "workspace-writable");
  }

  /**
   * A node whose root is reached through a link (Jenkins configured with {@code /srv/.../link}, the
   * disk mounted elsewhere): Jenkins names the script through the link, the working directory comes by
   * its real path. The script is accepted by its real path and found inside through the link.
   */
  @Test
  void aFreestyleStepsScriptNamedThroughALinkedRootRuns() throws Exception {
    Path data = Files.createDirectories(agentRoot.resolve("data/workspace/job"));
    Files.writeString(Files.createDirectories(agentRoot.resolve("data/workspace/job@tmp")).resolve("jenkins7.sh"),
        "echo freestyle-script-ran\n");
    Files.writeString(Files.createDirectories(agentRoot.resolve("data/workspace/other-job@tmp/secretFiles")).resolve("token"),
        SECRET + "\n");
    Path link = Files.createSymbolicLink(agentRoot.resolve("link"), agentRoot.resolve("data"));
    AgentOwner.own(agentRoot);
    Map<String, String> env = build(true);
    env.put("WORKSPACE", link.resolve("workspace/job").toString()); // as Jenkins names it

    assertThat(freestyleStep(data, env, link.resolve("workspace"))).contains("freestyle-script-ran\n",
        "secret-unreadable\n", "entries: job job@tmp\n", "tmp: jenkins7.sh\n", "workspace-writable");
  }

  /** What the freestyle wrapper runs: a session started in the workspace, the step's script a session exec there, with {@code --ro}. */
  private String freestyleStep(Path workspace, Map<String, String> env, Path allWorkspaces) throws Exception {
    env.put("TASKBOUND_JAR", CliProcess.shadedJar().toString());
    String launcher = CliProcess.launcher().toString();
    FinishedCommand start = FinishedCommand.run(List.of(launcher, "session", "start", "--task", "JENKINS-FS", "--policy",
        policy.toString(), "--out", work.resolve("out").toString()), workspace, env, WAIT);
    assertThat(start.status()).as(start.all()).isZero();
    String session = start.stdout().strip();
    try {
      Path script = Path.of(env.get("WORKSPACE") + "@tmp/jenkins7.sh");
      FinishedCommand step = FinishedCommand.run(List.of(launcher, "session", "exec", "--session", session, "--ro",
          script.toString(), "--", "sh", "-c", "sh -xe " + script + "; cat " + allWorkspaces + "/other-job@tmp/secretFiles/token "
              + script.getParent() + "/secretFiles/3f2a/kubeconfig " + env.get("JENKINS_HOME") + "/secrets/master.key"
              + " 2>/dev/null || echo secret-unreadable; echo entries: $(ls -A " + allWorkspaces + ");"
              + " echo tmp: $(ls -A " + script.getParent() + "); touch made-inside && echo workspace-writable"),
          workspace, env, WAIT);

      assertThat(step.status()).as(step.all()).isZero();
      assertThat(step.stdout()).doesNotContain(SECRET);
      return step.stdout();
    } finally {
      FinishedCommand.run(List.of(launcher, "session", "end", "--session", session), workspace, env, WAIT);
    }
  }

  /** A link a killed run of this test left behind (to its removed agent root) would skip the test from then on. */
  private static Path withoutLeftoverLink(Path link) throws IOException {
    if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).toString().startsWith("/srv/taskbound-agent-")) {
      Files.delete(link);
    }
    return link;
  }

  private static void deleteAll(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The control: outside a Jenkins build the directory keeps its host view, the other build's file with it. */
  @Test
  void withoutJenkinsHomeTheOtherBuildsFileIsWhereTheHostViewShowsIt() throws Exception {
    try (CliProcess run = run(job, build(false), probe())) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      assertThat(run.stdout()).contains(SECRET, "other-job@tmp");
    }
  }
}

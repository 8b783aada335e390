package dev.taskbound.core.session;

import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.NetnsSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The other builds' workspaces on a Jenkins agent. Jenkins keeps every job's workspace on a node
 * under one directory, {@code <remote root>/workspace} ({@code workspace/<job full name>},
 * {@code <job>@2} for a concurrent build, one flat name per multibranch branch), each beside its
 * {@code @tmp}, where credentials-binding writes secret files and durable-task the steps' logs; all
 * of them belong to the agent's user, as the sandbox's agent does. The netns sandbox's view empties
 * {@code /home} and {@code /var/lib/jenkins}, but a remote root elsewhere ({@code /srv/jenkins},
 * {@code /data/ci}) showed that whole directory read-only. In a Jenkins build on such a root the
 * directory is hidden, and of it the agent sees what the host view showed of this build: its
 * working directory, the build's workspace around it read-only ({@code dir('app')}), and the
 * build's {@code @tmp} read-only (a freestyle step's script, this block's credential files).
 * Where the view empties the directory already ({@code /home/jenkins/agent}, the inbound-agent
 * image's root, or the built-in node's {@code JENKINS_HOME/workspace}), nothing more is hidden, but
 * the same is shown: before, the working directory alone came back, and a freestyle step's script
 * in {@code @tmp} was not there.
 *
 * <p>A Jenkins build is one whose environment names {@code JENKINS_HOME} (Jenkins sets it in every
 * build, agents included) and a {@code WORKSPACE} at or above the session's working directory. The
 * directory of the workspaces is {@code WORKSPACE} less the job's full name ({@code JOB_NAME}, a
 * folder's job {@code team/app} included), else {@code WORKSPACE}'s parent (a flattened multibranch
 * name), and only a directory named {@code workspace}, as Jenkins names it: a custom workspace
 * ({@code ws('build')}, {@code /opt/sdk/build}) leaves its parent alone, which may hold the
 * agent's tools, and nothing of it is shown around the working directory: a {@code WORKSPACE} of
 * {@code /} or {@code ~} would show what the view hides. Paths are compared as the host resolves
 * them. Left alone: the container backend, which mounts the workspace alone.
 *
 * @param hidden the directory holding this agent's workspaces, where the sandbox must hide it
 * @param workspace this build's workspace ({@code WORKSPACE}, its real path)
 */
record JenkinsWorkspaces(Optional<Path> hidden, Path workspace) {
  /** The name Jenkins gives the directory of a node's workspaces ({@code Slave.getWorkspaceRoot}). */
  static final String WORKSPACES = "workspace";

  static Optional<JenkinsWorkspaces> of(Path workDir, Map<String, String> host, SandboxBackend backend) {
    return of(workDir, host, backend, NetnsSandbox::viewStartsEmpty);
  }

  /** As above, with what the view empties by itself ({@link NetnsSandbox#viewStartsEmpty}) given. */
  static Optional<JenkinsWorkspaces> of(Path workDir, Map<String, String> host, SandboxBackend backend,
      Predicate<Path> viewStartsEmpty) {
    String jenkinsHome = host.get("JENKINS_HOME");
    String workspace = host.get("WORKSPACE");
    if (backend != SandboxBackend.NETNS || jenkinsHome == null || jenkinsHome.isBlank() || workspace == null
        || !workspace.startsWith("/")) {
      return Optional.empty();
    }
    Optional<Path> ws = real(workspace);
    Optional<Path> work = real(workDir.toString());
    // the view shows the working directory as given: the directory hidden around it must be its own
    if (ws.isEmpty() || work.isEmpty() || !work.get().equals(workDir.toAbsolutePath().normalize())
        || !work.get().startsWith(ws.get())) {
      return Optional.empty();
    }
    // only a workspace of Jenkins' own layout is shown: a WORKSPACE of / or ~ would show what the view hides
    Optional<Path> root = workspacesRoot(ws.get(), host.getOrDefault("JOB_NAME", ""));
    if (root.isEmpty()) {
      return Optional.empty();
    }
    Optional<Path> hidden = root.filter(r -> !viewStartsEmpty.test(r))
        .filter(r -> !real(jenkinsHome).map(r::startsWith).orElse(false)); // the sandbox hides JENKINS_HOME
    return Optional.of(new JenkinsWorkspaces(hidden, ws.get()));
  }

  /**
   * What of this build a launch in {@code workDir} sees read-only: the build's workspace unless it is
   * the working directory, and its {@code @tmp} when it is a directory; not what {@code writable}
   * makes writable (a policy's {@code $WORKSPACE@tmp}), unless it lies above the hidden directory,
   * whose hiding covers it.
   */
  List<Path> shownAround(Path workDir, List<Path> writable) {
    List<Path> shown = new ArrayList<>();
    if (!workspace.equals(workDir.toAbsolutePath().normalize())) {
      shown.add(workspace);
    }
    Path tmp = workspace.resolveSibling(workspace.getFileName() + "@tmp");
    if (Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
      shown.add(tmp);
    }
    shown.removeIf(p -> writable.stream().map(w -> w.toAbsolutePath().normalize())
        .anyMatch(w -> p.startsWith(w) && hidden.map(w::startsWith).orElse(true)));
    return shown;
  }

  /** {@code <root>/workspace} of {@code <root>/workspace/team/app} (or {@code app@2}) for {@code JOB_NAME=team/app}. */
  static Optional<Path> workspacesRoot(Path workspace, String jobName) {
    Path root = jobRoot(workspace, jobName).orElse(workspace.getParent());
    return Optional.ofNullable(root)
        .filter(r -> r.getFileName() != null && r.getFileName().toString().equals(WORKSPACES)); // never /
  }

  private static Optional<Path> jobRoot(Path workspace, String jobName) {
    String[] names = jobName.split("/");
    int n = names.length;
    if (jobName.isEmpty() || n >= workspace.getNameCount()) {
      return Optional.empty();
    }
    Path job;
    try {
      job = Path.of(jobName);
    } catch (InvalidPathException e) {
      return Optional.empty(); // not a name Jenkins gives
    }
    Path tail = workspace.subpath(workspace.getNameCount() - n, workspace.getNameCount());
    boolean concurrent = workspace.getFileName().toString().matches(java.util.regex.Pattern.quote(names[n - 1]) + "@[0-9]+")
        && (n == 1 || tail.getParent().equals(job.getParent()));
    if (!tail.equals(job) && !concurrent) {
      return Optional.empty();
    }
    Path root = workspace;
    for (int i = 0; i < n; i++) {
      root = root.getParent();
    }
    return Optional.of(root);
  }

  private static Optional<Path> real(String path) {
    try {
      return Optional.of(Path.of(path).toRealPath());
    } catch (IOException | InvalidPathException | SecurityException e) {
      return Optional.empty();
    }
  }
}

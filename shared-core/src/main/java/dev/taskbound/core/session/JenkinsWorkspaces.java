package dev.taskbound.core.session;

import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.NetnsSandbox;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The other builds' workspaces on a Jenkins agent. Jenkins keeps every job's workspace on a node
 * under one directory, {@code <remote root>/workspace} ({@code workspace/<job full name>},
 * {@code <job>@2} for a concurrent build, one flat name per multibranch branch), each beside its
 * {@code @tmp}, where credentials-binding writes secret files and durable-task the steps' logs; all
 * of them belong to the agent's user, as the sandbox's agent does. In a Jenkins build that
 * directory is hidden, and the agent sees of it its working directory, what {@code session exec}'s
 * {@code --rw} and {@code --ro} open in the build's {@code @tmp} (a step's control directory, a
 * freestyle step's script), what the policy makes writable, and, where the host view showed the
 * directory (a remote root such as {@code /srv/jenkins}, not {@code /home/jenkins/agent}, which the
 * view empties, nor the built-in node's {@code JENKINS_HOME/workspace}, which the sandbox hides),
 * the build's workspace around a working directory in one of its directories ({@code dir('app')}),
 * read-only. The hiding applies even where the view empties the directory already: a policy path
 * above it ({@code readOnly: ['~']} with the agent's home holding the root) would show it again.
 *
 * <p>A Jenkins build is one whose environment names {@code JENKINS_HOME} (Jenkins sets it in every
 * build, agents included) and a {@code WORKSPACE} at or above the session's working directory. The
 * directory of the workspaces is {@code WORKSPACE} less the job's full name ({@code JOB_NAME}, a
 * folder's job {@code team/app} included), else {@code WORKSPACE}'s parent (a flattened multibranch
 * name), and only a directory named {@code workspace}, as Jenkins names it: a custom workspace
 * ({@code ws('build')}, {@code /opt/sdk/build}) leaves its parent alone, which may hold the
 * agent's tools, and nothing of it is shown around the working directory. Paths are compared as
 * the host resolves them. Left alone: the container backend, which mounts the workspace alone.
 *
 * @param hidden the directory holding this agent's workspaces
 * @param workspace this build's workspace ({@code WORKSPACE}, its real path)
 * @param viewShowsIt whether the host view shows the directory (it is not emptied or hidden by itself)
 */
record JenkinsWorkspaces(Path hidden, Path workspace, boolean viewShowsIt) {
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
    Optional<Path> root = workspacesRoot(ws.get(), host.getOrDefault("JOB_NAME", ""));
    if (root.isEmpty()) {
      return Optional.empty();
    }
    // the sandbox hides JENKINS_HOME when it is an absolute path other than / (SandboxPaths)
    boolean inJenkinsHome = jenkinsHome.startsWith("/")
        && real(jenkinsHome).filter(home -> home.getNameCount() > 0).map(root.get()::startsWith).orElse(false);
    return Optional.of(new JenkinsWorkspaces(root.get(), ws.get(), !viewStartsEmpty.test(root.get()) && !inJenkinsHome));
  }

  /**
   * What of this build a launch in {@code workDir} sees read-only besides: the build's workspace,
   * where the host view showed it and it is not the working directory, unless {@code writable}
   * makes it writable from inside the hidden directory.
   */
  List<Path> shownAround(Path workDir, List<Path> writable) {
    if (!viewShowsIt || workspace.equals(workDir.toAbsolutePath().normalize())
        || writable.stream().map(w -> w.toAbsolutePath().normalize()).anyMatch(w -> w.startsWith(hidden) && workspace.startsWith(w))) {
      return List.of();
    }
    return List.of(workspace);
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

package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A script in a durable-task control directory and the command durable-task's {@code sh} step
 * launches for it, in the documented shape of its shell wrapper (nohup, heartbeat loop, log and
 * result files); and a launch of that command as the agent's launcher performs it.
 *
 * @param workspace the workspace ({@code <control dir>/../..} is {@code workspace@tmp})
 * @param controlDir {@code <workspace>@tmp/durable-...}
 * @param command what durable-task would launch, in the launcher's form ({@code $$} for {@code $})
 */
record DurableFixture(Path workspace, Path controlDir, List<String> command) {

  /** A workspace under {@code root} with {@code script} ready to launch. */
  static DurableFixture of(Path root, String script) {
    return of(root, script, "durable-0c1d2e3f");
  }

  /**
   * As {@link #of(Path, String)}, in control directory {@code name} (several steps, one workspace).
   * As root, the workspace belongs to an unprivileged user, as a CI user's does (the agent runs as
   * the workspace's owner and never as root), and its {@code @tmp} to root, as durable-task makes it.
   */
  static DurableFixture of(Path root, String script, String name) {
    try {
      Path ws = Files.createDirectories(root.resolve("ws"));
      Path dir = Files.createDirectories(root.resolve("ws@tmp").resolve(name));
      // as root (CI) the agent runs as the workspace's owner, never as root: the workspace is nobody's;
      // @tmp, the control directory and the script stay root's, as durable-task running as root makes them
      ownedByAnUnprivilegedUser(ws);
      traversable(root);
      Path scriptFile = Files.writeString(dir.resolve("script.sh"), script + "\n");
      String copy = scriptFile + ".copy";
      String log = dir.resolve("jenkins-log.txt").toString();
      String result = dir.resolve("jenkins-result.txt").toString();
      String wrapper = "cp '" + scriptFile + "' '" + copy + "'; "
          + "{ while [ -d '" + dir + "' -a \\! -f '" + result + "' ]; do touch '" + log + "'; sleep 3; done } & "
          + "jsc=durable-cookie; JENKINS_SERVER_COOKIE=$jsc 'sh' -xe '" + copy + "' > '" + log + "' 2>&1; "
          + "echo $? > '" + result + ".tmp'; mv '" + result + ".tmp' '" + result + "'; wait";
      return new DurableFixture(ws, dir, List.of("nohup", "sh", "-c", "(" + wrapper.replace("$", "$$") + ") >&- 2>&- &"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A test's temporary directory (0700) opened for the agent's user to reach the workspace below it. */
  static void traversable(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** {@code nobody} (65534) owns {@code p} when this JVM runs as root; otherwise it stays the caller's. */
  private static void ownedByAnUnprivilegedUser(Path p) throws IOException {
    if ("root".equals(System.getProperty("user.name"))) {
      Files.setAttribute(p, "unix:uid", 65534);
      Files.setAttribute(p, "unix:gid", 65534);
    }
  }

  /**
   * Launches {@link DurableShellLaunch#command} for this script in {@code envelope} as the agent's
   * launcher would ({@code $$} becomes {@code $}), then waits, as durable-task does, for the result
   * file, and returns its content.
   */
  String launch(List<String> envelope, String sandbox) throws IOException, InterruptedException {
    return launch(envelope, sandbox, java.util.Map.of());
  }

  /** As {@link #launch(List, String)}, with the step's environment changed by {@code env} (as {@code withEnv} does). */
  String launch(List<String> envelope, String sandbox, java.util.Map<String, String> env) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    for (String arg : DurableShellLaunch.command(envelope, this.command, sandbox)) {
      command.add(arg.replace("$$", "$"));
    }
    ProcessBuilder launcher = new ProcessBuilder(command).directory(workspace.toFile()).redirectErrorStream(true);
    launcher.environment().putAll(env);
    Process p = launcher.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launch returns at once, as durable-task's does");
    Path result = controlDir.resolve("jenkins-result.txt");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(result)) {
      assertTrue(System.nanoTime() < deadline, "no " + result + " within 120 s; log: " + log());
      TimeUnit.MILLISECONDS.sleep(50); // polling the file, as durable-task does
    }
    return Files.readString(result, StandardCharsets.UTF_8).strip();
  }

  /** This script as a {@code returnStdout} step launches it: its stdout to {@code output.txt}, its stderr to the log. */
  DurableFixture capturingOutput() {
    String log = controlDir.resolve("jenkins-log.txt").toString();
    String output = controlDir.resolve("output.txt").toString();
    return new DurableFixture(workspace, controlDir, command.stream()
        .map(arg -> arg.replace(" > '" + log + "' 2>&1", " > '" + output + "' 2> '" + log + "'"))
        .toList());
  }

  /** What the step's log file holds so far. */
  String log() {
    try {
      Path log = controlDir.resolve("jenkins-log.txt");
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

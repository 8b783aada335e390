package dev.taskbound.core.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.testing.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review finding: under a CI host the caller's PATH is the step's, which may hold a directory the
 * agent writes ({@code withEnv(["PATH+NODE=${pwd()}/node_modules/.bin"])}); the pipe that masks the
 * agent's output was made by {@code mkfifo} looked up there, so the agent's program ran on the host
 * as the host's user at every command. What Taskbound starts on the host comes from the system's
 * directories; the agent still gets the caller's PATH.
 */
@Timeout(120)
class HostProgramsTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void noProgramOfTheCallersPathRunsOnTheHost() throws Exception {
    WireMockServer github = apis.github();
    GithubStubs.stubApp(github);
    Path planted = Files.createDirectories(work.resolve("node_modules/.bin"));
    Path ran = work.resolve("ran-on-the-host");
    for (String name : new String[] {"mkfifo", "true", "bwrap", "setpriv", "sh", "stat", "b2sum"}) {
      Path program = Files.writeString(planted.resolve(name), "#!/bin/sh\necho " + name + " >> " + ran
          + "\nPATH=/usr/bin:/bin exec " + name + " \"$@\"\n");
      Files.setPosixFilePermissions(program, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Map<String, String> env = new java.util.LinkedHashMap<>(
        apis.githubAppEnv(Files.createDirectories(work.resolve("home")), null, TestKeys.rsa()));
    env.put("TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString());
    env.put("PATH", planted + ":" + System.getenv("PATH"));
    Path policy = apis.writeTask(work.resolve("task.yml"), "");

    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "T-P", "--policy", policy.toString(),
        "--out", work.resolve("out").toString(), "--pass-env", "PATH", "--", "/bin/sh", "-c", "echo \"path: $PATH\"")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();
      assertThat(run.stdout()).contains("path: " + planted + ":"); // the agent's own PATH is the caller's
    }

    assertThat(ran).as("programs of the caller's PATH that ran on the host").doesNotExist();
  }
}

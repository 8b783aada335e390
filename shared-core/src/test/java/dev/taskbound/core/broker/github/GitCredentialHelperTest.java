package dev.taskbound.core.broker.github;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs real git against the generated configuration fragment. */
class GitCredentialHelperTest {
  static final String TOKEN = "ghs_SENTINELgitHELPERtoken0123456789abcdefXY";

  @TempDir Path dir;

  String fill(String host) throws IOException, InterruptedException {
    Path config = dir.resolve("gitconfig");
    Files.writeString(config, GithubBroker.gitConfig("github.com"));
    ProcessBuilder pb = new ProcessBuilder("git", "credential", "fill").directory(dir.toFile());
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().put("HOME", dir.toString());
    pb.environment().put("GIT_CONFIG_GLOBAL", config.toString());
    pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    pb.environment().put("GIT_ASKPASS", "/bin/false");
    pb.environment().put("GH_TOKEN", TOKEN);
    pb.redirectErrorStream(true);
    Process git = pb.start();
    git.getOutputStream().write(("protocol=https\nhost=" + host + "\n\n").getBytes(StandardCharsets.UTF_8));
    git.getOutputStream().close();
    String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(git.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void answersForTheGithubHostFromTheEnvironment() throws Exception {
    String out = fill("github.com");

    assertThat(out).contains("username=x-access-token").contains("password=" + TOKEN);
  }

  @Test
  void staysSilentForAnyOtherHost() throws Exception {
    String out = fill("evil.example.com");

    assertThat(out).doesNotContain(TOKEN).doesNotContain("password=");
  }

  @Test
  void configFragmentHoldsNoToken() {
    assertThat(GithubBroker.gitConfig("github.com")).doesNotContain("ghs_").contains("$GH_TOKEN");
  }
}

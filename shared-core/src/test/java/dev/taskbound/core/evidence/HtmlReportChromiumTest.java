package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renders report.html in a real headless Chromium and checks what a reader would see. */
class HtmlReportChromiumTest {
  private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/chromium"), Path.of("/usr/bin/chromium-browser"));

  @TempDir Path tmp;

  @Test
  void chromiumRendersTaskIdentityBlockedHostAndTeardownSteps() throws Exception {
    Path chromium = CANDIDATES.stream().filter(Files::isExecutable).findFirst()
        .orElseThrow(() -> new AssertionError("headless Chromium is needed: apt-get install -y chromium"));
    SampleSession s = SampleSession.write(tmp.resolve("session"));
    Path report = tmp.resolve("report.html");
    Files.writeString(report, HtmlReportRenderer.html(EvidenceLog.read(s.events), SampleSession.TEARDOWN_JSON));
    Path out = tmp.resolve("dom.html");
    Path err = tmp.resolve("chromium.log");

    Process p = new ProcessBuilder(
            chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--user-data-dir=" + tmp.resolve("profile"), "--dump-dom", report.toUri().toString())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("chromium did not finish within 60 s; log: " + Files.readString(err));
    }

    String dom = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("chromium exit; log: %s", Files.readString(err)).isZero();
    String text = dom.replaceAll("<[^>]+>", " ").replaceAll("\\s+", " ");
    assertThat(text)
        .contains("Task JIRA-42")
        .contains("SPIFFE ID " + SampleSession.SPIFFE_ID)
        .contains("evil.example.com 443 0 2 evil.example.com:443")
        .contains("kill-agent ok 1")
        .contains("revoke-github-token FAILED (failed) 3 HTTP 500 from DELETE /installation/token")
        .contains("stop-gateway ok 1")
        .contains("remove-namespace skipped 0 backend proxy");
  }
}

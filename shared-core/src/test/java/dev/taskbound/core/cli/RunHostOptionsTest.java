package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options a host such as the GitHub Action adds to {@code taskbound run} (issue 12): {@code
 * --claim} puts the CI run's claims into the task identity the evidence carries, {@code
 * --egress-allow} narrows the policy's egress and refuses to widen it.
 */
@Timeout(120)
class RunHostOptionsTest {
  private static final String POLICY = """
      apiVersion: taskbound.dev/v1
      kind: Task
      spec:
        sandbox: {backends: [proxy], enforcement: cooperative}
        egress:
          allow: ['*.github.com', registry.npmjs.org]
      """;

  @TempDir Path work;

  @Test
  void claimsReachTheIdentityAndEgressAllowNarrowsTheEffectivePolicy() throws IOException {
    Path out = work.resolve("evidence");
    StringWriter err = new StringWriter();

    int status = run(err, "--claim", "repository=acme/app", "--claim", "run_id=1234", "--claim",
        "workflow_ref=acme/app/.github/workflows/agent.yml@refs/heads/main", "--egress-allow", "api.github.com",
        "--out", out.toString());

    assertThat(status).as(err.toString()).isZero();
    assertThat(RunArtifacts.bundleText(out, "identity.json"))
        .contains("\"repository\" : \"acme/app\"", "\"run_id\" : \"1234\"",
            "\"workflow_ref\" : \"acme/app/.github/workflows/agent.yml@refs/heads/main\"");
    assertThat(RunArtifacts.bundleText(out, "effective-policy.json"))
        .contains("\"allow\":[\"api.github.com:443\"]")
        .doesNotContain("registry.npmjs.org");
  }

  @Test
  void egressAllowThatWidensThePolicyIsRefusedBeforeAnythingExists() throws IOException {
    Path out = work.resolve("evidence");
    StringWriter err = new StringWriter();

    int status = run(err, "--egress-allow", "api.github.com,evil.example:8443", "--out", out.toString());

    assertThat(status).isEqualTo(ExitCodes.POLICY);
    assertThat(err.toString().lines().filter(l -> l.startsWith("taskbound: error:")))
        .containsExactly("taskbound: error: --egress-allow evil.example:8443 widens the policy (no rule of "
            + work.resolve("task.yml") + ":6 covers it; allowed: *.github.com:443, registry.npmjs.org:443);"
            + " accepted: only rules the policy files already allow");
    assertThat(out).doesNotExist();
    assertThat(work.resolve("home/sessions")).satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
  }

  /** Review finding: without an org ceiling, --claim ceiling_source=... made a run claim a ceiling it never had. */
  @Test
  void aClaimTheSessionSetsItselfIsRefusedBeforeAnythingExists() throws IOException {
    Path out = work.resolve("evidence");
    for (String claim : java.util.List.of("ceiling_source=github:acme/.github/taskbound/ceiling.yml", "profile=prod",
        "policy_digest=sha256:0")) {
      StringWriter err = new StringWriter();

      int status = run(err, "--claim", claim, "--out", out.toString());

      assertThat(status).as(claim).isNotZero();
      assertThat(err.toString()).as(claim).contains("is set by the session (from the policy and the org ceiling) and"
          + " may not be given; reserved besides the issuer's: policy_digest, profile, ceiling_*");
    }
    assertThat(out).doesNotExist();
  }

  /** Review finding: --ceiling '' silently replaced $TASKBOUND_CEILING with no ceiling at all. */
  @Test
  void anEmptyCeilingIsAUsageErrorNotNoCeiling() throws IOException {
    StringWriter err = new StringWriter();

    int status = run(err, "--ceiling", "", "--out", work.resolve("evidence").toString());

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--ceiling: empty; accepted: a file or github:OWNER/.github/taskbound/ceiling.yml");
  }

  private int run(StringWriter err, String... options) throws IOException {
    Path policy = Files.writeString(work.resolve("task.yml"), POLICY);
    Path home = Files.createDirectories(work.resolve("home"));
    Path runtime = Files.createDirectories(work.resolve("rt"));
    String[] args = new String[options.length + 8];
    args[0] = "run";
    args[1] = "--task";
    args[2] = "T-H";
    args[3] = "--policy";
    args[4] = policy.toString();
    System.arraycopy(options, 0, args, 5, options.length);
    args[options.length + 5] = "--";
    args[options.length + 6] = "true";
    args[options.length + 7] = "ignored";
    return TaskboundCli.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err),
        Map.of("TASKBOUND_HOME", home.toString(), "TASKBOUND_RUNTIME_DIR", runtime.toString(), "PATH", "/usr/bin:/bin"));
  }
}

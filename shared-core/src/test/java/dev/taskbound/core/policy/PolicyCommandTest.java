package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.cli.PolicyCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code taskbound policy check|explain}: outputs and exit codes. */
class PolicyCommandTest {
  private static final Path EXAMPLES = Path.of(System.getProperty("taskbound.repo.root"), "examples", "policies");

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return new CommandLine(new PolicyCommand())
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  @Test
  void checkPrintsOkForEachFileAndTheMerge() {
    String org = EXAMPLES.resolve("org-ceiling.yml").toString();
    String task = EXAMPLES.resolve("task-fix-bug.yml").toString();

    int code = run("check", org, task);

    assertThat(code).isZero();
    assertThat(out.toString()).startsWith("ok: " + org + " (Ceiling)\nok: " + task + " (Task)\nok: merge of 2 files,"
        + " sha256:");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void checkWithCeilingProfileAndTaskChecksWhatRunWouldResolve() {
    String org = EXAMPLES.resolve("org-ceiling.yml").toString();
    String task = EXAMPLES.resolve("task-fix-bug.yml").toString();

    int code = run("check", "--ceiling", org, "--profile", "coding-agent", "--task", "FIX-123", task);

    assertThat(code).isZero();
    assertThat(out.toString()).contains("ok: " + org + " (Ceiling)").contains("ok: merge of 2 files,");
  }

  @Test
  void checkRejectsAMalformedTaskIdWithoutStartingAnything() {
    String task = EXAMPLES.resolve("demo.yml").toString();

    int code = run("check", "--task", "FIX 123", task);

    assertThat(code).isEqualTo(ExitCodes.POLICY);
    assertThat(err.toString()).startsWith("error: ").contains("'FIX 123'");
  }

  @Test
  void checkPrintsTheOneLineErrorAndExitsWithThePolicyCode() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 3x\n");

    int code = run("check", bad.toString());

    assertThat(code).isEqualTo(ExitCodes.POLICY);
    assertThat(err.toString()).isEqualTo("error: " + bad + ":4: spec.ttl: '3x' is not a duration; accepted: "
        + DurationFormat.ACCEPTED + System.lineSeparator());
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void checkRejectsAWideningMergeEvenWhenEachFileIsWellFormed() throws IOException {
    Path org = Files.writeString(dir.resolve("org.yml"), "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec: {ttl: 1h}\n");
    Path task = Files.writeString(dir.resolve("task.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec: {ttl: 2h}\n");

    int code = run("check", org.toString(), task.toString());

    assertThat(code).isEqualTo(ExitCodes.POLICY);
    assertThat(out.toString()).contains("ok: " + task + " (Task)");
    assertThat(err.toString()).contains(task + ":3: spec.ttl: 2h widens the ceiling (" + org + ":3 allows at most 1h)");
  }

  @Test
  void explainPrintsEachValueWithItsProvenanceAndTheDigest() {
    Path demo = EXAMPLES.resolve("demo.yml");
    String expectedDigest = PolicyResolver.resolve(List.of(demo), Optional.empty()).digest();

    int code = run("explain", demo.toString());

    assertThat(code).isZero();
    assertThat(out.toString())
        .contains("ceiling: built-in default\n")
        .contains("identity.trustDomain: taskbound.local  (built-in default)\n")
        .contains("ttl: 10m  (" + demo + ":8)\n")
        .contains("sandbox.backends: netns  (" + demo + ":10)\n")
        .contains("  - api.demo.test:18080  (" + demo + ":13)\n")
        .contains("  api.demo.test: 127.0.0.1  (" + demo + ":15)\n")
        .endsWith("digest: " + expectedDigest + "\n");
  }

  @Test
  void explainSelectsTheProfileGivenOnTheCommandLine() {
    int code = run("explain", "--profile", "ops-agent", EXAMPLES.resolve("org-ceiling.yml").toString());

    assertThat(code).isZero();
    assertThat(out.toString())
        .contains("profile: ops-agent  (command line --profile)\n")
        .contains("ttl: 30m  (" + EXAMPLES.resolve("org-ceiling.yml") + ":58)\n");
  }

  @Test
  void explainJsonPrintsTheCanonicalJson() {
    Path demo = EXAMPLES.resolve("demo.yml");

    int code = run("explain", "--json", demo.toString());

    assertThat(code).isZero();
    assertThat(out.toString()).isEqualTo(
        PolicyResolver.resolve(List.of(demo), Optional.empty()).toCanonicalJson() + "\n");
  }

  @Test
  void explainNamesTheDefinedProfilesWhenTheProfileIsUnknown() {
    Path org = EXAMPLES.resolve("org-ceiling.yml");

    int code = run("explain", "--profile", "release", org.toString());

    assertThat(code).isEqualTo(ExitCodes.POLICY);
    assertThat(err.toString()).isEqualTo("error: command line --profile release is not defined by the Ceiling ("
        + org + ":3); defined: coding-agent, ops-agent; shipped: coding-agent, review-agent, ops-agent"
        + System.lineSeparator());
  }
}

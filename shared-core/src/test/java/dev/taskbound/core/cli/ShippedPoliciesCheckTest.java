package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every policy file shipped under {@code examples/} and {@code docs/} passes {@code taskbound policy
 * check} as a user would run it: a Task that names a profile against the example org ceiling, any
 * other on its own (the built-in default ceiling). Issue 19: the README's wrap example must run on
 * the embedded default.
 */
class ShippedPoliciesCheckTest {
  private static final Path ROOT = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path CEILING = ROOT.resolve("examples/policies/org-ceiling.yml");

  static Stream<Path> shippedPolicies() throws IOException {
    List<Path> found = new ArrayList<>();
    for (String dir : List.of("examples", "docs")) {
      try (Stream<Path> s = Files.walk(ROOT.resolve(dir))) {
        s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
            .filter(ShippedPoliciesCheckTest::isPolicy).sorted().forEach(found::add);
      }
    }
    assertThat(found).contains(ROOT.resolve("examples/policies/claude-code.yml"), ROOT.resolve("examples/policies/codex.yml"));
    return found.stream();
  }

  private static boolean isPolicy(Path p) {
    try {
      return Files.readString(p).contains("apiVersion: taskbound.dev/v1");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest
  @MethodSource("shippedPolicies")
  void passesPolicyCheck(Path policy) throws IOException {
    boolean needsCeiling = !policy.equals(CEILING) && Files.readString(policy).lines().anyMatch(l -> l.startsWith("profile:"));
    List<String> args = new ArrayList<>(List.of("check"));
    if (needsCeiling) {
      args.addAll(List.of("--ceiling", CEILING.toString()));
    }
    args.add(policy.toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = new CommandLine(new PolicyCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute(args.toArray(String[]::new));

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("ok: " + policy);
  }
}

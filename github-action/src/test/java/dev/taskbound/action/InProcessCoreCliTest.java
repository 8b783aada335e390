package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InProcessCoreCliTest {
  private static final Path HERE = Path.of("").toAbsolutePath();

  @TempDir Path dir;
  private final List<List<String>> childCalls = new ArrayList<>();
  private final CoreCli child = (args, env, directory, out, err) -> {
    childCalls.add(args);
    return 7;
  };
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void runsTheCoreInThisJvmWritingToTheGivenStreams() throws Exception {
    Path policy = dir.resolve("policy.yml");
    Files.writeString(policy, "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n  sandbox: {backends: [container]}\n");

    int status = execute(List.of("policy", "explain", policy.toString()), Map.of(), HERE);

    assertThat(status).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("container");
    assertThat(childCalls).isEmpty();
  }

  @Test
  void givesTheCoreTheEnvironmentItIsHandedNotThisProcesss() {
    // TASKBOUND_DEBUG in the handed environment adds the stack trace to the error line.
    List<String> args = List.of("teardown", "--session", dir.resolve("no-session").toString());

    int withDebug = execute(args, Map.of("TASKBOUND_DEBUG", "1"), HERE);
    String debugged = err.toString(StandardCharsets.UTF_8);
    err.reset();
    int without = execute(args, Map.of(), HERE);

    assertThat(withDebug).isEqualTo(without).isNotZero();
    assertThat(debugged).contains("taskbound: error:").contains("\tat ");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("taskbound: error:").doesNotContain("\tat ");
  }

  @Test
  void aCallForAnotherDirectoryGoesToTheChildCore() {
    int status = execute(List.of("teardown", "--session", "/x"), Map.of(), dir);

    assertThat(status).isEqualTo(7);
    assertThat(childCalls).containsExactly(List.of("teardown", "--session", "/x"));
    assertThat(out.size() + err.size()).isZero();
  }

  private int execute(List<String> args, Map<String, String> env, Path directory) {
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      return new InProcessCoreCli(HERE, child).execute(args, env, directory, o, e);
    }
  }
}

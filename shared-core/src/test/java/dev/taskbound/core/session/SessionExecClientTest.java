package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * bin/taskbound-session-exec.py, the python3 client of {@code session exec}, sends the caller's
 * variables only by {@link AgentEnvironment#isAllowed}'s lists, which it copies: they must not drift.
 * Its behaviour against a real supervisor is {@code SessionCommandsIT}'s.
 */
class SessionExecClientTest {
  private static final Path CLIENT = Path.of(System.getProperty("user.dir")).resolve("../bin/taskbound-session-exec.py");

  @Test
  void thePython3ClientSendsExactlyTheVariablesAnAgentMayInherit() throws Exception {
    String script = Files.readString(CLIENT);

    Set<String> basics = namesOf(script, "BASICS");
    Set<String> ci = namesOf(script, "CI_METADATA");

    assertThat(basics).isEqualTo(new TreeSet<>(AgentEnvironment.BASICS));
    assertThat(ci).isEqualTo(new TreeSet<>(AgentEnvironment.CI_METADATA));
    assertThat(script).contains("name.startswith(\"LC_\")");
  }

  /** The quoted names of the Python set literal {@code NAME = {...}}. */
  private static Set<String> namesOf(String script, String name) {
    Matcher set = Pattern.compile("(?m)^" + name + " = \\{([^}]*)\\}").matcher(script);
    assertThat(set.find()).as(name + " in " + CLIENT).isTrue();
    Set<String> out = new TreeSet<>();
    Matcher quoted = Pattern.compile("\"([^\"]+)\"").matcher(set.group(1));
    while (quoted.find()) {
      out.add(quoted.group(1));
    }
    return out;
  }
}

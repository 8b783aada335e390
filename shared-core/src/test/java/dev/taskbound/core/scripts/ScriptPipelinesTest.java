package dev.taskbound.core.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10: under {@code set -o pipefail} a pipeline into a reader that stops before its input ends
 * ({@code head}, {@code grep -q}/{@code -m}/{@code -l}) fails with the writer's SIGPIPE (exit 141)
 * whenever the writer is still writing, which depends on timing: scripts/docker-test-env.sh died so
 * on a fresh machine only. No script of the repository that sets pipefail may contain one.
 */
class ScriptPipelinesTest {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root", "..")).toAbsolutePath().normalize();
  private static final List<String> SCRIPT_DIRECTORIES = List.of("scripts", "bin", "bench", "examples", ".ci");

  /** A single {@code |} (not {@code ||}) into head, or into grep with an option that stops early. */
  private static final Pattern EARLY_EXIT_READER =
      Pattern.compile(
          "(?<!\\|)\\|(?!\\|)\\s*(head\\b|grep\\b[^|]*?\\s(-[A-Za-z]*[qml]|--quiet|--silent|--max-count|--files-with-matches))");

  @Test
  void noScriptThatSetsPipefailPipesIntoAReaderThatExitsEarly() throws IOException {
    List<Path> scripts = scriptsSettingPipefail();

    List<String> offending = new ArrayList<>();
    for (Path script : scripts) {
      List<String> lines = Files.readAllLines(script, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (pipesIntoEarlyExitReader(lines.get(i))) {
          offending.add(REPO.relativize(script) + ":" + (i + 1) + ": " + lines.get(i).strip());
        }
      }
    }

    assertThat(scripts).as("scripts found").extracting(p -> REPO.relativize(p).toString())
        .contains("scripts/docker-test-env.sh", ".ci/run");
    assertThat(offending).as("read the whole input instead (sed -n 1p, awk reading the file itself, a variable)").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "docker run img java -version 2>&1 | head -n 1 | sed 's/^/x/'",
      "v=$(ls -t | head -1)",
      "ps aux |grep -q dockerd",
      "journalctl | grep -m1 ready",
      "find . | grep --quiet x",
      "cat f | grep -ql x",
      "cat f | grep -v a -q"})
  void flagsAPipeIntoAReaderThatExitsEarly(String line) {
    assertThat(pipesIntoEarlyExitReader(line)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "grep -q '^ready' \"$work/out\" || exit 1",
      "x || head -n 1 f",
      "ls | sed -n 1p",
      "grep -v 'Picked up' f | sed -n '1,3p'",
      "# ... | head -n 1 killed the script",
      "tail -n 20 \"$log\" >&2"})
  void leavesReadersOfWholeInputsAndNonPipelinesAlone(String line) {
    assertThat(pipesIntoEarlyExitReader(line)).isFalse();
  }

  private static boolean pipesIntoEarlyExitReader(String line) {
    String code = line.strip();
    return !code.startsWith("#") && EARLY_EXIT_READER.matcher(code).find();
  }

  private static List<Path> scriptsSettingPipefail() throws IOException {
    List<Path> scripts = new ArrayList<>();
    for (String directory : SCRIPT_DIRECTORIES) {
      Path dir = REPO.resolve(directory);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
          if (setsPipefail(file)) {
            scripts.add(file);
          }
        }
      }
    }
    return scripts;
  }

  private static boolean setsPipefail(Path file) throws IOException {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      boolean script = text.startsWith("#!") || file.toString().endsWith(".sh");
      return script && text.contains("pipefail");
    } catch (MalformedInputException binary) {
      return false;
    }
  }
}

package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * scripts/build-native-init.sh, which the Maven build runs: a build that cannot make the init (the
 * compiler fails, or there is none) must not leave an earlier build of it where the jar is packed
 * from (the build's own output, and the classes directory Maven's resources step copied it into): it
 * may speak an older protocol than the JVM side, and every native start would then fail instead of
 * falling back to the JVM init. Nor may it leave a temporary file.
 */
class NativeInitBuildScriptTest {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();

  @TempDir Path out;
  @TempDir Path classes;

  @ParameterizedTest
  @ValueSource(strings = {"false", "/nonexistent/cc"}) // a compiler that fails; no compiler
  void aBuildThatCannotMakeTheInitLeavesNoEarlierBuildWhereTheJarIsPackedFrom(String cc) throws Exception {
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    Assumptions.assumeTrue(List.of("x86_64", "aarch64").contains(arch), "the script builds for these only");
    List<Path> earlier = List.of(out.resolve("dev/taskbound/core/sandbox/taskbound-init-" + arch),
        classes.resolve("dev/taskbound/core/sandbox/taskbound-init-" + arch),
        classes.resolve("dev/taskbound/core/cli/taskbound-tty-" + arch));
    for (Path stale : earlier) {
      Files.createDirectories(stale.getParent());
      Files.writeString(stale, "an earlier build");
      Files.setLastModifiedTime(stale, FileTime.fromMillis(0)); // older than the source: rebuilt
    }

    ProcessBuilder pb = new ProcessBuilder("bash", REPO.resolve("scripts/build-native-init.sh").toString(), out.toString(),
        classes.toString()).redirectErrorStream(true);
    pb.environment().put("CC", cc);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("[WARNING] native").contains("'" + cc + "'");
    assertThat(earlier).as("no earlier build is packed").allMatch(f -> !Files.exists(f));
    for (Path dir : List.of(out, classes)) {
      try (Stream<Path> left = Files.walk(dir)) {
        assertThat(left.filter(Files::isRegularFile).toList()).as("nothing left in %s", dir).isEmpty();
      }
    }
  }
}

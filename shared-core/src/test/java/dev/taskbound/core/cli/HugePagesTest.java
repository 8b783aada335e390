package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HugePagesTest {
  @TempDir Path dir;

  @Test
  void theFlagOnlyWhereTheKernelGivesHugePagesOnRequest() throws Exception {
    Path setting = dir.resolve("enabled");

    Files.writeString(setting, "always [madvise] never\n");
    assertThat(HugePages.jvmFlags(setting)).containsExactly("-XX:+UseTransparentHugePages");
    Files.writeString(setting, "always madvise [never]\n");
    assertThat(HugePages.jvmFlags(setting)).as("off: the JVM would warn on every start").isEmpty();
    Files.writeString(setting, "[always] madvise never\n");
    assertThat(HugePages.jvmFlags(setting)).as("always on: nothing to ask for").isEmpty();
    assertThat(HugePages.jvmFlags(dir.resolve("missing"))).isEmpty();
  }
}

package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Where the view empties the directories it always empties, when the host has links among them. */
class FilesystemViewEmptiedTest {
  private Path base;

  @BeforeEach
  void aPlaceOutsideTmp() throws IOException {
    base = Files.createTempDirectory(Path.of("/var/tmp"), "tb-emptied-").toRealPath(); // /tmp would be private already
  }

  @AfterEach
  void remove() throws IOException {
    try (Stream<Path> all = Files.walk(base)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Test
  void aLinkIsEmptiedWhereItLeadsAndADirectoryWhereItIs() throws Exception {
    Path home = Files.createDirectories(base.resolve("home"));
    Path data = Files.createDirectories(base.resolve("data/jenkins"));
    Path link = Files.createSymbolicLink(base.resolve("jenkins"), data);

    assertThat(FilesystemView.emptied(List.of(home, link, base.resolve("missing")))).containsExactly(home, data);
  }

  @Test
  void neitherTheViewsOwnMountsNorTheRootNorANestedOneNorATwiceNamedOne() throws Exception {
    Path home = Files.createDirectories(base.resolve("home"));
    Path nested = Files.createSymbolicLink(base.resolve("root"), Files.createDirectories(home.resolve("root")));
    Path toTmp = Files.createSymbolicLink(base.resolve("var-tmp"), Path.of("/tmp"));
    Path toRoot = Files.createSymbolicLink(base.resolve("slash"), Path.of("/"));
    Path again = Files.createSymbolicLink(base.resolve("home-again"), home);

    assertThat(FilesystemView.emptied(List.of(nested, home, toTmp, toRoot, again))).containsExactly(home);
  }
}

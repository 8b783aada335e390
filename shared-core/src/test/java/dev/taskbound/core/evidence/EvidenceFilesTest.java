package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.taskbound.core.ProcessUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Taskbound publishes lands in a directory where an agent of the same user may still run
 * (another session's): root must never write or chmod through what it swapped in there.
 */
class EvidenceFilesTest {
  @TempDir Path evidence;
  @TempDir Path host;

  @Test
  void aPublishedFileIsReadableByAllAndLeavesNothingElse() throws Exception {
    Path file = evidence.resolve("T-1.summary.md");

    EvidenceFiles.publish(file, "# summary\n");

    assertThat(file).hasContent("# summary");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
    assertThat(names(evidence)).containsExactly("T-1.summary.md");
  }

  /**
   * Review finding: the temporary file was made, then written and chmodded by its name in the
   * evidence directory; swapped for a link, a hard link or a FIFO meanwhile, root wrote or chmodded
   * another file, or blocked for ever. It is now written in a private directory of its own; what an
   * agent can still do there is move that directory away and put a link to a host directory in its
   * place, which nothing follows.
   */
  @Test
  void aPrivateDirectorySwappedForALinkWhileWrittenNeitherWritesNorChmodsWhereItLeads() throws Exception {
    Path victim = Files.writeString(host.resolve("content"), "host secret\n");
    Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
    Path file = evidence.resolve("T-1.summary.md");

    EvidenceFiles.publish(file, ".publish.", out -> {
      out.write("first half\n".getBytes(StandardCharsets.UTF_8));
      Path staging = onlyPrivateDirectory();
      Files.move(staging, evidence.resolve("moved-away"));
      Files.createSymbolicLink(staging, host); // what a racing agent does between the writes and the chmod
      out.write("second half\n".getBytes(StandardCharsets.UTF_8));
    });

    assertThat(file).hasContent("first half\nsecond half");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
    assertThat(victim).hasContent("host secret");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim))).isEqualTo("rw-------");
    assertThat(names(host)).containsExactly("content");
  }

  @Test
  void aPrivateDirectoryThatIsNotThisProcesssOwnOrIsOpenToOthersIsRefused() throws Exception {
    Path open = Files.createDirectory(evidence.resolve(".publish.open.tmp"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(evidence)) {
      SecureDirectoryStream<Path> opened = (SecureDirectoryStream<Path>) stream;

      assertThatThrownBy(() -> EvidenceFiles.openOwn(opened, open.getFileName(), evidence))
          .hasMessageContaining("the private directory " + open + " made for writing is owned by ")
          .hasMessageContaining("with mode rwxr-xr-x")
          .hasMessageEndingWith("nothing was written there; accepted: this process's own, mode 0700");

      assumeTrue(ProcessUser.effectiveUid() == 0, "root, to give a directory away");
      Path agents = Files.createDirectory(evidence.resolve(".publish.agents.tmp"));
      Files.setPosixFilePermissions(agents, PosixFilePermissions.fromString("rwx------"));
      Files.setAttribute(agents, "unix:uid", 1000, LinkOption.NOFOLLOW_LINKS);
      assertThatThrownBy(() -> EvidenceFiles.openOwn(opened, agents.getFileName(), evidence))
          .hasMessageContaining("the private directory " + agents + " made for writing is owned by ");
    }
  }

  @Test
  void aDirectorySwappedForALinkGetsNothingWrittenWhereItLeads() throws Exception {
    Path dir = Files.createDirectory(evidence.resolve("taskbound-evidence"));
    Path file = dir.resolve("T-1.teardown.json");
    Files.move(dir, evidence.resolve("moved"));
    Files.createSymbolicLink(dir, host);

    assertThatThrownBy(() -> EvidenceFiles.publish(file, "{}"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("directory " + dir + " now leads to " + host.toRealPath() + " through a symbolic link")
        .hasMessageContaining("nothing was written there");

    assertThat(names(host)).isEmpty();
  }

  /**
   * Review finding: with a nested evidence directory ({@code --out build/evidence}), an agent that
   * moved {@code build} away and put a link in its place had root make the missing directory where
   * the link led before the check refused it.
   */
  @Test
  void aLinkPlantedOnTheWayOfTheRecordedDirectoryMakesNothingWhereItLeads() throws Exception {
    Path recorded = EvidenceFiles.resolveNow(evidence.resolve("build/evidence"));
    Files.createSymbolicLink(evidence.resolve("build"), host);

    assertThatThrownBy(() -> EvidenceFiles.createRecordedDirectory(recorded))
        .hasMessageContaining("evidence directory " + recorded + " now leads through the symbolic link " + evidence.resolve("build"))
        .hasMessageContaining("nothing was made or written there");

    assertThat(names(host)).isEmpty();
  }

  @Test
  void aNameTakenByADirectorySaysWhichFileCouldNotBeWritten() throws Exception {
    Path file = Files.createDirectories(evidence.resolve("T-1.zip/x")).getParent();

    assertThatThrownBy(() -> EvidenceFiles.publish(file, "zip"))
        .hasMessageStartingWith("cannot rename the written file into place as " + file + ": ");

    assertThat(names(evidence)).as("no private directory left behind").containsExactly("T-1.zip");
  }

  private Path onlyPrivateDirectory() throws IOException {
    try (Stream<Path> files = Files.list(evidence)) {
      List<Path> dirs = files.filter(p -> p.getFileName().toString().startsWith(".publish.")).toList();
      assertThat(dirs).hasSize(1);
      return dirs.get(0);
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
